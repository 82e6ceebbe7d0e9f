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
