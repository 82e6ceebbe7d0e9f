{{/* Names and labels, as `helm create` makes them. */}}
{{- define "org-invites.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "org-invites.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "org-invites.selectorLabels" -}}
app.kubernetes.io/name: {{ include "org-invites.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "org-invites.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "org-invites.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "org-invites.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "org-invites.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "org-invites.databaseSecret" -}}
{{- default (printf "%s-database" (include "org-invites.fullname" .)) .Values.database.secretName }}
{{- end }}

{{- define "org-invites.identitiesSecret" -}}
{{- default (printf "%s-identities" (include "org-invites.fullname" .)) .Values.identities.secretName }}
{{- end }}

{{/* Where the Secrets are mounted (read-only). */}}
{{- define "org-invites.identitiesDir" -}}/etc/org-invites/identities{{- end }}
{{- define "org-invites.tlsDir" -}}/etc/org-invites/tls{{- end }}
{{- define "org-invites.webhookSecretsDir" -}}/etc/org-invites/webhook-secrets{{- end }}
{{/* The subscriptions ConfigMap's mount (a directory, so updates reach it). */}}
{{- define "org-invites.subscriptionsDir" -}}/etc/org-invites/subscriptions{{- end }}
{{- define "org-invites.subscriptionsKey" -}}subscriptions.yaml{{- end }}

{{/*
A setting's value as the server reads it: lists comma-separated, numbers
without an exponent (values arrive as float64: 1000000 would print 1e+06).
*/}}
{{- define "org-invites.envValue" -}}
{{- if kindIs "slice" . }}{{ join "," . }}
{{- else if kindIs "float64" . }}{{ int64 . }}
{{- else }}{{ . }}
{{- end }}
{{- end }}

{{/*
Settings the chart sets itself, and the values that set them.
*/}}
{{- define "org-invites.managed" -}}
DATABASE_URL: database.secretName and database.key
ORG_INVITES_LISTEN: ports.grpc
ORG_INVITES_HEALTH_LISTEN: ports.health
ORG_INVITES_METRICS_LISTEN: ports.metrics
ORG_INVITES_AUTH_TOKENS_FILE: identities.secretName
ORG_INVITES_TLS_CERT_FILE: tls.secretName
ORG_INVITES_TLS_KEY_FILE: tls.secretName
ORG_INVITES_TLS_CLIENT_CA_FILE: tls.clientCA
ORG_INVITES_TLS_REQUIRE_CLIENT_CERT: tls.requireClientCert
AWS_REGION: aws.region
AWS_ENDPOINT_URL: aws.endpointUrl
ORG_INVITES_SUBSCRIPTIONS_FILE: delivery.subscriptions
ORG_INVITES_EVENTS_SOURCE: delivery.eventsSource
ORG_INVITES_DELIVERY_RETRY_SCHEDULE: delivery.retrySchedule
{{- end }}

{{- define "org-invites.managedFlags" -}}
--database-url: database.secretName and database.key
--listen: ports.grpc
--health-listen: ports.health
--metrics-listen: ports.metrics
--auth-tokens-file: identities.secretName
--tls-cert-file: tls.secretName
--tls-key-file: tls.secretName
--tls-client-ca-file: tls.clientCA
--tls-require-client-cert: tls.requireClientCert
--subscriptions-file: delivery.subscriptions
--events-source: delivery.eventsSource
--delivery-retry-schedule: delivery.retrySchedule
{{- end }}

{{/*
Refuses values that would fight the chart, and --insecure-no-auth /
ORG_INVITES_INSECURE_NO_AUTH from any value unless
insecureNoAuth.iUnderstandAnyoneCanInvite is true.
*/}}
{{- define "org-invites.checkValues" -}}
{{- $managed := include "org-invites.managed" . | fromYaml }}
{{- $names := keys .Values.config }}
{{- range .Values.extraEnv }}{{ $names = append $names .name }}{{ end }}
{{- range $names }}
{{- if hasKey $managed . }}
{{- fail (printf "%s is set by the chart: use %s" . (get $managed .)) }}
{{- end }}
{{- end }}
{{- $flags := include "org-invites.managedFlags" . | fromYaml }}
{{- range .Values.extraArgs }}
{{- $flag := regexReplaceAll "=.*" (toString .) "" }}
{{- if hasKey $flags $flag }}
{{- fail (printf "%s is set by the chart: use %s" $flag (get $flags $flag)) }}
{{- end }}
{{- end }}
{{- $asked := has "ORG_INVITES_INSECURE_NO_AUTH" $names }}
{{- range .Values.extraArgs }}{{ if hasPrefix "--insecure-no-auth" (toString .) }}{{ $asked = true }}{{ end }}{{ end }}
{{- if and $asked (not .Values.insecureNoAuth.iUnderstandAnyoneCanInvite) }}
{{- fail "authentication off (--insecure-no-auth / ORG_INVITES_INSECURE_NO_AUTH) lets anyone who reaches the gRPC port invite accounts into the organization: set insecureNoAuth.iUnderstandAnyoneCanInvite=true to mean it" }}
{{- end }}
{{- end }}

{{/*
What the schema cannot say of delivery.subscriptions: ids are unique, a
webhook's secret comes from delivery.existingSecret, http:// is asked for.
*/}}
{{- define "org-invites.checkDelivery" -}}
{{- $seen := dict }}
{{- range .Values.delivery.subscriptions }}
{{- $at := printf "delivery.subscriptions[%s]" .id }}
{{- if hasKey $seen .id }}
{{- fail (printf "%s: id used twice" $at) }}
{{- end }}
{{- $_ := set $seen .id true }}
{{- with .webhook }}
{{- if not $.Values.delivery.existingSecret }}
{{- fail (printf "%s.webhook.secretKey needs delivery.existingSecret (the Secret holding %s)" $at .secretKey) }}
{{- end }}
{{- if and (hasPrefix "http://" .url) (not .allow_plain_http) }}
{{- fail (printf "%s.webhook.url: http:// needs allow_plain_http: true" $at) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The subscriptions file: delivery.subscriptions with each webhook's
secretKey turned into the secret_file where the Secret is mounted.
*/}}
{{- define "org-invites.subscriptionsFile" -}}
{{- $subs := list }}
{{- range .Values.delivery.subscriptions }}
{{- $sub := omit . "webhook" }}
{{- with .webhook }}
{{- $hook := omit . "secretKey" }}
{{- $_ := set $hook "secret_file" (printf "%s/%s" (include "org-invites.webhookSecretsDir" $) .secretKey) }}
{{- $_ := set $sub "webhook" $hook }}
{{- end }}
{{- $subs = append $subs $sub }}
{{- end }}
{{- if not $subs }}subscriptions: []
{{- else }}subscriptions:
{{- range $subs }}
  - id: {{ .id | quote }}
    {{- toYaml (omit . "id") | nindent 4 }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Every serve setting the pods get from the ConfigMap, as KEY: "value" lines
(the names of deploy/org-invites.env).
*/}}
{{- define "org-invites.settings" -}}
{{- include "org-invites.checkValues" . }}
{{- include "org-invites.checkDelivery" . }}
{{- $v := .Values }}
{{- if and $v.tls.requireClientCert (not $v.tls.clientCA) }}
{{- fail "tls.requireClientCert needs tls.clientCA (the CA that signs client certificates)" }}
{{- end }}
{{- if and $v.tls.clientCA (not $v.tls.secretName) }}
{{- fail "tls.clientCA needs tls.secretName (its ca.crt)" }}
{{- end }}
{{- $s := dict }}
{{- range $key, $value := $v.config }}
{{- $_ := set $s $key (include "org-invites.envValue" $value) }}
{{- end }}
{{- $_ := set $s "ORG_INVITES_LISTEN" (printf "0.0.0.0:%d" (int $v.ports.grpc)) }}
{{- $_ := set $s "ORG_INVITES_HEALTH_LISTEN" (printf "0.0.0.0:%d" (int $v.ports.health)) }}
{{- $_ := set $s "ORG_INVITES_METRICS_LISTEN" (printf "0.0.0.0:%d" (int $v.ports.metrics)) }}
{{- $_ := set $s "ORG_INVITES_AUTH_TOKENS_FILE" (printf "%s/%s" (include "org-invites.identitiesDir" .) $v.identities.key) }}
{{- if $v.insecureNoAuth.iUnderstandAnyoneCanInvite }}
{{- $_ := set $s "ORG_INVITES_INSECURE_NO_AUTH" "true" }}
{{- end }}
{{- if $v.tls.secretName }}
{{- $_ := set $s "ORG_INVITES_TLS_CERT_FILE" (printf "%s/tls.crt" (include "org-invites.tlsDir" .)) }}
{{- $_ := set $s "ORG_INVITES_TLS_KEY_FILE" (printf "%s/tls.key" (include "org-invites.tlsDir" .)) }}
{{- if $v.tls.clientCA }}
{{- $_ := set $s "ORG_INVITES_TLS_CLIENT_CA_FILE" (printf "%s/ca.crt" (include "org-invites.tlsDir" .)) }}
{{- end }}
{{- if $v.tls.requireClientCert }}
{{- $_ := set $s "ORG_INVITES_TLS_REQUIRE_CLIENT_CERT" "true" }}
{{- end }}
{{- end }}
{{- if $v.delivery.subscriptions }}
{{- $_ := set $s "ORG_INVITES_SUBSCRIPTIONS_FILE" (printf "%s/%s" (include "org-invites.subscriptionsDir" .) (include "org-invites.subscriptionsKey" .)) }}
{{- end }}
{{- with $v.delivery.eventsSource }}
{{- $_ := set $s "ORG_INVITES_EVENTS_SOURCE" . }}
{{- end }}
{{- with $v.delivery.retrySchedule }}
{{- $_ := set $s "ORG_INVITES_DELIVERY_RETRY_SCHEDULE" (include "org-invites.envValue" .) }}
{{- end }}
{{- $_ := set $s "AWS_REGION" $v.aws.region }}
{{- if $v.aws.endpointUrl }}
{{- $_ := set $s "AWS_ENDPOINT_URL" $v.aws.endpointUrl }}
{{- end }}
{{- range $key := keys $s | sortAlpha }}
{{ $key }}: {{ get $s $key | quote }}
{{- end }}
{{- end }}
