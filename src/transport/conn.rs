//! Accepted connections: each carries a count of its calls in flight, so a
//! connection with none for `idle_timeout` is closed (gRPC's
//! MAX_CONNECTION_IDLE), and its peer address for the request extensions.
use std::{
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    task::{Context, Poll},
    time::Duration,
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    time::{Instant, Sleep},
};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;
use tracing::debug;

#[derive(Debug)]
struct Activity {
    calls: AtomicUsize,
    idle_since: Mutex<Instant>,
}

/// What handlers and layers can know about the connection a call came on.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub remote_addr: Option<SocketAddr>,
    activity: Arc<Activity>,
}

/// Held while a call is in flight (its response body is open).
pub struct CallGuard(Arc<Activity>);

impl ConnInfo {
    pub fn begin_call(&self) -> CallGuard {
        self.activity.calls.fetch_add(1, Ordering::SeqCst);
        CallGuard(self.activity.clone())
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        if self.0.calls.fetch_sub(1, Ordering::SeqCst) == 1 {
            *self.0.idle_since.lock().expect("activity lock") = Instant::now();
        }
    }
}

pub struct Conn<T> {
    io: T,
    info: ConnInfo,
    idle: Option<(Duration, Pin<Box<Sleep>>)>,
}

impl<T> Conn<T> {
    pub fn new(io: T, remote_addr: Option<SocketAddr>, idle_timeout: Option<Duration>) -> Self {
        Self {
            io,
            info: ConnInfo {
                remote_addr,
                activity: Arc::new(Activity {
                    calls: AtomicUsize::new(0),
                    idle_since: Mutex::new(Instant::now()),
                }),
            },
            idle: idle_timeout.map(|d| (d, Box::pin(tokio::time::sleep(d)))),
        }
    }

    /// True once the connection has had no call for the idle timeout; the
    /// timer re-arms itself for as long as that is not yet so.
    fn idle_expired(&mut self, cx: &mut Context<'_>) -> bool {
        let Some((idle, timer)) = self.idle.as_mut() else {
            return false;
        };
        while timer.as_mut().poll(cx).is_ready() {
            let a = &self.info.activity;
            let next = if a.calls.load(Ordering::SeqCst) > 0 {
                Instant::now() + *idle
            } else {
                let since = *a.idle_since.lock().expect("activity lock");
                if since.elapsed() >= *idle {
                    return true;
                }
                since + *idle
            };
            timer.as_mut().reset(next);
        }
        false
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Conn<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.idle_expired(cx) {
            debug!(peer = ?self.info.remote_addr, "closing an idle connection");
            // End of stream: the HTTP/2 server closes the connection.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Conn<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

impl<T> Connected for Conn<T> {
    type ConnectInfo = ConnInfo;

    fn connect_info(&self) -> ConnInfo {
        self.info.clone()
    }
}

/// Accepts TCP connections until `stop`, wrapped; `then` finishes each one
/// (a TLS handshake, or nothing) off the accept loop.
pub fn incoming<S, F, Fut>(
    listener: TcpListener,
    idle_timeout: Option<Duration>,
    stop: CancellationToken,
    then: F,
) -> ReceiverStream<io::Result<S>>
where
    S: Send + 'static,
    F: Fn(Conn<TcpStream>) -> Fut + Send + 'static,
    Fut: Future<Output = Option<S>> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let (tcp, peer) = tokio::select! {
                _ = stop.cancelled() => return,
                _ = tx.closed() => return,
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        debug!(error = %e, "accept failed");
                        continue;
                    }
                },
            };
            // Small messages to watchers go out at once, not after Nagle's delay.
            let _ = tcp.set_nodelay(true);
            let finish = then(Conn::new(tcp, Some(peer), idle_timeout));
            let tx = tx.clone();
            tokio::spawn(async move {
                if let Some(conn) = finish.await {
                    let _ = tx.send(Ok(conn)).await;
                }
            });
        }
    });
    ReceiverStream::new(rx)
}
