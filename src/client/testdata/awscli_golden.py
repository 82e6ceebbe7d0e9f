# Writes the golden files the CLI tests compare with, using awscli's own
# formatters and shorthand parser (made with awscli 1.45.11):
#   cd src/client/testdata && python3 awscli_golden.py
import io, json, sys
from awscli.formatter import TextFormatter, TableFormatter
from awscli.table import MultiTable, Styler
class Args: query=None; color='off'
data = {"Handshake": {"Id": "h-examplehandshakeid111",
 "Arn": "arn:aws:organizations::111111111111:handshake/o-exampleorgid/invite/h-examplehandshakeid111",
 "Parties": [{"Id": "o-exampleorgid", "Type": "ORGANIZATION"}, {"Id": "juan@example.com", "Type": "EMAIL"}],
 "State": "OPEN", "RequestedTimestamp": 1481656459.257, "ExpirationTimestamp": 1482952459.257, "Action": "INVITE",
 "Resources": [{"Value": "o-exampleorgid", "Type": "ORGANIZATION", "Resources": [
   {"Value": "bill@amazon.com", "Type": "MASTER_EMAIL"}, {"Value": "Org Master Account", "Type": "MASTER_NAME"}, {"Value": "FULL", "Type": "ORGANIZATION_FEATURE_SET"}]},
   {"Value": "juan@example.com", "Type": "EMAIL"}]}}
lst = {"Handshakes": [data["Handshake"], dict(data["Handshake"], Id="h-second000000", State="ACCEPTED")]}
def text(d):
    s = io.StringIO(); TextFormatter(Args())("X", json.loads(json.dumps(d)), s); return s.getvalue()
def table(title, d, width):
    s = io.StringIO(); f = TableFormatter(Args()); f.table._terminal_width = width; f(title, json.loads(json.dumps(d)), s); return s.getvalue()
open("text.txt","w").write(text(data))
open("list_text.txt","w").write(text(lst))
open("table80.txt","w").write(table("InviteAccount", data, 80))
open("table200.txt","w").write(table("InviteAccount", data, 200))
open("list_table80.txt","w").write(table("ListHandshakes", lst, 80))
open("scalar_table.txt","w").write(table("InviteAccount", "h-abc", 80))
# A watch event of the page's handshake for an account, accepted through a
# role and placed, its tags retried after a throttle (shape::tests::onboarding_example).
onboarded = dict(data["Handshake"], State="ACCEPTED",
 Parties=[data["Handshake"]["Parties"][0], {"Id": "222222222222", "Type": "ACCOUNT"}],
 Resources=data["Handshake"]["Resources"][:1],
 Onboarding={"Spec": {"DestinationParentId": "ou-exampleroot-exampleou",
   "AcceptRole": "arn:aws:iam::222222222222:role/OrgInvitesAccept", "OnAcceptFailure": "LEAVE_OPEN"},
  "Status": "TAGGING",
  "Steps": [{"Step": "ACCEPT", "StartTimestamp": 1481656460.0, "EndTimestamp": 1481656461.0, "Attempts": 1},
   {"Step": "PLACE", "StartTimestamp": 1481656461.0, "EndTimestamp": 1481656462.0, "Attempts": 1},
   {"Step": "TAG", "StartTimestamp": 1481656462.0, "Attempts": 2,
    "Error": {"AwsError": "TooManyRequestsException", "Message": "Rate exceeded"}}],
  "ParentId": "ou-exampleroot-exampleou"})
event = {"Handshake": onboarded, "PreviousState": "ACCEPTED", "ResumeToken": "tok",
 "ObservedTimestamp": 1481656462.0, "Kind": "ONBOARDING"}
open("onboarding_text.txt","w").write(text(event))
open("onboarding_table80.txt","w").write(table("WatchHandshake", event, 80))
open("onboarding_table200.txt","w").write(table("WatchHandshake", event, 200))

from awscli.shorthand import ShorthandParser, ShorthandParseError
out = open("shorthand.tsv", "w")
cases = ["Id=123456789012,Type=ACCOUNT","a=b,c","a=b,c,d=e","Id=1,,Type=ACCOUNT","Value=,Key=c","Key=a,Value=x=y z","Id = 1 , Type = A","a=[b,c],d={e=f}", "a='x,y',b=\"q\"", "a=b\\,c", "a=b ,c", "Id=1,Type=ACCOUNT,", "=a", "a=b,=c", "a=[]", "a={}", "a= b", "k=v,w,x=1,y", "a=b,c=", "a=b c,d=e"]
for c in cases:
    try: r = json.dumps(ShorthandParser().parse(c), sort_keys=True)
    except ShorthandParseError as e: r = "ERR"
    out.write(json.dumps(c) + "\t" + r + "\n")
# A RENEWAL event of the page's handshake for an account, itself a renewal,
# warned of its expiry, expired and renewed again
# (shape::tests::lifecycle::renewal_example).
renewed = dict(data["Handshake"], State="EXPIRED",
 Parties=[data["Handshake"]["Parties"][0], {"Id": "222222222222", "Type": "ACCOUNT"}],
 Resources=data["Handshake"]["Resources"][:1],
 ExpiryWarningTimestamp=1482693259.0,
 Renewal={"RenewalsLeft": 1, "RenewedFrom": "h-examplehandshakeid000",
  "RenewedTo": "h-examplehandshakeid222",
  "Reason": "expired; sent again as h-examplehandshakeid222 (0 renewal(s) left after it)"})
renewal_event = {"Handshake": renewed, "PreviousState": "EXPIRED", "ResumeToken": "tok",
 "ObservedTimestamp": 1482952460.0, "Kind": "RENEWAL"}
open("renewal_text.txt","w").write(text(renewal_event))
open("renewal_table80.txt","w").write(table("WatchHandshake", renewal_event, 80))
open("renewal_table200.txt","w").write(table("WatchHandshake", renewal_event, 200))
# `quota` (shape::tests::lifecycle::quota_example).
quota = {"Quota": {"Limit": 20, "Used": 3, "Remaining": 17, "WindowSeconds": 86400,
 "NextSlotTimestamp": 1481742859.0, "PendingInvitations": 2, "MemberAccounts": 5,
 "MemberAccountsTimestamp": 1481656400.0}}
open("quota_text.txt","w").write(text(quota))
open("quota_table80.txt","w").write(table("GetInvitationQuota", quota, 80))
# Billing transfers: an accepted outbound one (shape::transfer::tests::example),
# an inbound one still REQUESTED, a watch event, and the TRANSFER_RESPONSIBILITY
# handshake invite-organization-to-transfer-responsibility prints (golden::transfer).
transfer = {"Arn": "arn:aws:organizations::111111111111:transfer/o-exampleorgid/billing/outbound/rt-exampletransfer11",
 "Name": "Shared billing", "Id": "rt-exampletransfer11", "Type": "BILLING", "Status": "ACCEPTED",
 "Source": {"ManagementAccountId": "111111111111", "ManagementAccountEmail": "bill@amazon.com"},
 "Target": {"ManagementAccountId": "222222222222", "ManagementAccountEmail": "ap@example.com"},
 "StartTimestamp": 1801440000.0, "ActiveHandshakeId": "h-examplehandshakeid222", "Direction": "OUTBOUND",
 "AcceptDeadlineTimestamp": 1801353600.0, "CreateTimestamp": 1795705529.0, "UpdateTimestamp": 1795791929.0,
 "RequestId": "r-1", "RequestedBy": "ops",
 "StatusHistory": [{"Status": "REQUESTED", "FirstSeenTimestamp": 1795705529.0},
  {"Status": "ACCEPTED", "FirstSeenTimestamp": 1795791929.0}]}
inbound = {"Name": "Their billing", "Id": "rt-exampletransfer22", "Type": "BILLING", "Status": "REQUESTED",
 "Source": {"ManagementAccountId": "333333333333"}, "Target": {"ManagementAccountId": "111111111111"},
 "StartTimestamp": 1803859200.0, "ActiveHandshakeId": "h-examplehandshakeid333", "Direction": "INBOUND",
 "AcceptDeadlineTimestamp": 1803772800.0}
described = {"ResponsibilityTransfer": transfer}
listed = {"ResponsibilityTransfers": [transfer, inbound]}
transfer_event = {"ResponsibilityTransfer": transfer, "PreviousStatus": "REQUESTED", "ResumeToken": "tok",
 "ObservedTimestamp": 1795791929.0, "Kind": "STATUS_CHANGE"}
offered = {"Handshake": {"Id": "h-examplehandshakeid222",
 "Arn": "arn:aws:organizations::111111111111:handshake/o-exampleorgid/transfer_responsibility/h-examplehandshakeid222",
 "Parties": [{"Id": "o-exampleorgid", "Type": "ORGANIZATION"}, {"Id": "222222222222", "Type": "ACCOUNT"}],
 "State": "OPEN", "RequestedTimestamp": 1795705529.0, "ExpirationTimestamp": 1796915129.0,
 "Action": "TRANSFER_RESPONSIBILITY",
 "Resources": [{"Value": "rt-exampletransfer11", "Type": "RESPONSIBILITY_TRANSFER", "Resources": [
   {"Value": "BILLING", "Type": "TRANSFER_TYPE"}, {"Value": "1801440000", "Type": "TRANSFER_START_TIMESTAMP"}]},
  {"Value": "111111111111", "Type": "MANAGEMENT_ACCOUNT"}, {"Value": "bill@amazon.com", "Type": "MANAGEMENT_EMAIL"}],
 "TransferId": "rt-exampletransfer11"}}
open("transfer_text.txt","w").write(text(described))
open("transfer_table80.txt","w").write(table("GetTransfer", described, 80))
open("transfer_table200.txt","w").write(table("GetTransfer", described, 200))
open("transfers_text.txt","w").write(text(listed))
open("transfers_table80.txt","w").write(table("ListTransfers", listed, 80))
open("transfer_event_text.txt","w").write(text(transfer_event))
open("transfer_event_table80.txt","w").write(table("WatchTransfers", transfer_event, 80))
open("transfer_handshake_text.txt","w").write(text(offered))
open("transfer_handshake_table80.txt","w").write(table("InviteTransfer", offered, 80))
