/* SPDX-License-Identifier: MIT */
/* Microsoft Graph Security relay mapping (src/relays/msgraph_map.c):
 * the golden unit-data fixtures of relays.md §10.1, the legacy OData
 * filters and their encoding, the KQL of the advanced-hunting query (no
 * value can leave its string literal), the mapping of hunting rows, the
 * error table of §7.5, CTR_ENTITIES_LIMIT, and hostile input. */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/xalloc.h"
#include "relays/ctim.h"
#include "relays/msgraph_map.h"
#include "tests/unit/unit.h"

void msgraph_map_suite_add(void);

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
/* A one-observable list for the hunting builders. */
#define ITEM(t, v) (&(MsgraphHuntingItem) { (t), (v) })

/* The seven unit-data fixtures of relays.md §10.1
 * (../shared/fixtures/relays/microsoft-graph-security/unit-data/<type>.json,
 * from CiscoSecurity/tr-05-serverless-microsoft-graph-security develop
 * 7668ef8, code/tests/unit/data/), minified, so that the tests need no
 * file outside the tree.  test_fixtures_match_shared() checks them against
 * the shared copies when those are there. */
static const struct {
        const char *type;
        const char *json;
} fixtures[] = {
        { "domain",
          "{\"observable\":\"www.febrikam.com\",\"input\":{\"id\":\"F007461A-C92F-48E5-A734-89A4E5F38"
          "A15\",\"azureTenantId\":\"63d0b44f-8610-4dd2-91fd-541ffc973399\",\"azureSubscriptionId\":n"
          "ull,\"riskScore\":null,\"tags\":[],\"activityGroupName\":\"Bad Hacker\",\"assignedTo\":\"a"
          "nalyst@M365x594651.onmicrosoft.com\",\"category\":\"Command and  Control\",\"closedDateTim"
          "e\":null,\"comments\":[\"Seeing evidence that the domain is malicious\"],\"confidence\":nu"
          "ll,\"createdDateTime\":\"2019-10-11T15:32:00Z\",\"description\":\"A Windows process has co"
          "nnected to a newly registered domain.\",\"detectionIds\":[],\"eventDateTime\":\"2019-10-11"
          "T15:31:00Z\",\"feedback\":\"truePositive\",\"lastModifiedDateTime\":\"2019-10-11T15:32:00Z"
          "\",\"recommendedActions\":[\"Update AV signatures and run a full scan. The scan might reve"
          "al and remove previously-undetected malware components.  It is highly unusual for a Window"
          "s process to connect to a newly created domain, unless the domain is registered to Microso"
          "ft or an affiliate. Investigate the Whois record associated with the domain to confirm the"
          " domain is not owned by a trusted party. (Click the icon next to the domain name to see ad"
          "ditional information about this domain, such as what individual or entity registered the d"
          "omain, when it was registered, and in what country.)  Also consider the nature of the doma"
          "in - if it appears to provide a legitimate proxy service, and other processes on the machi"
          "ne are connecting to the same domain, it is possible that this connection is benign.  Inve"
          "stigate surrounding events in the Machine Timeline - if malicious, the alerting process ma"
          "y exhibit other unusual behavior, such as connecting to numerous other untrusted domains ("
          "frequently these are also newly registered) or writing files to disk.  If suspicions are c"
          "onfirmed, pivot through the domain as well as any IP addresses with which the domain is as"
          "sociated, in order to locate other potentially compromised machines.\"],\"severity\":\"low"
          "\",\"sourceMaterials\":[\"https://securitycenter.windows.com/alerts/19506a6b-e7eb-4106-a93"
          "2-3691839b9b4f\"],\"status\":\"inProgress\",\"title\":\"Connection to newly registered dom"
          "ain\",\"vendorInformation\":{\"provider\":\"Windows Defender ATP\",\"providerVersion\":\"3"
          ".10.2\",\"subProvider\":\"EDR\",\"vendor\":\"Microsoft\"},\"cloudAppStates\":[],\"fileStat"
          "es\":[],\"hostStates\":[{\"fqdn\":\"dt-aldom.M365x594651.onmicrosoft.com\",\"isAzureAdJoin"
          "ed\":false,\"isAzureAdRegistered\":true,\"isHybridAzureDomainJoined\":null,\"netBiosName\""
          ":\"dt-aldom\",\"os\":null,\"privateIpAddress\":\"10.8.198.9\",\"publicIpAddress\":\"172.16"
          ".32.38\",\"riskScore\":\"\"}],\"historyStates\":[],\"malwareStates\":[],\"networkConnectio"
          "ns\":[{\"applicationName\":null,\"destinationAddress\":null,\"destinationDomain\":\"www.fe"
          "brikam.com\",\"destinationPort\":null,\"destinationUrl\":null,\"direction\":\"inbound\",\""
          "domainRegisteredDateTime\":null,\"localDnsName\":null,\"natDestinationAddress\":null,\"nat"
          "DestinationPort\":null,\"natSourceAddress\":null,\"natSourcePort\":null,\"protocol\":\"ipv"
          "4\",\"riskScore\":null,\"sourceAddress\":\"172.16.32.38\",\"sourcePort\":null,\"status\":n"
          "ull,\"urlParameters\":null}],\"processes\":[],\"registryKeyStates\":[],\"triggers\":[],\"u"
          "serStates\":[{\"aadUserId\":null,\"accountName\":\"aldom\",\"domainName\":\"M365x594651.on"
          "microsoft.com\",\"emailRole\":\"unknown\",\"isVpn\":null,\"logonDateTime\":null,\"logonId\""
          ":null,\"logonIp\":null,\"logonLocation\":null,\"logonType\":null,\"onPremisesSecurityIdent"
          "ifier\":null,\"riskScore\":null,\"userAccountType\":null,\"userPrincipalName\":\"aldom@M36"
          "5x594651.onmicrosoft.com\"}],\"vulnerabilityStates\":[]},\"output\":{\"count\":1,\"confide"
          "nce\":\"None\",\"description\":\"A Windows process has connected to a newly registered dom"
          "ain.\",\"external_ids\":[\"F007461A-C92F-48E5-A734-89A4E5F38A15\"],\"external_references\""
          ":[{\"source_name\":\"Windows Defender ATP\",\"url\":\"https://securitycenter.windows.com/a"
          "lerts/19506a6b-e7eb-4106-a932-3691839b9b4f\"}],\"observables\":[{\"type\":\"domain\",\"val"
          "ue\":\"www.febrikam.com\"}],\"observed_time\":{\"end_time\":\"2019-10-11T15:31:00Z\",\"sta"
          "rt_time\":\"2019-10-11T15:31:00Z\"},\"relations\":[{\"origin\":\"Windows Defender ATP\",\""
          "related\":{\"type\":\"domain\",\"value\":\"www.febrikam.com\"},\"relation\":\"Connected_To"
          "\",\"source\":{\"type\":\"ip\",\"value\":\"172.16.32.38\"}}],\"schema_version\":\"1.0.12\""
          ",\"sensor\":\"endpoint\",\"severity\":\"Low\",\"source\":\"Microsoft Graph Security\",\"ta"
          "rgets\":[{\"observables\":[{\"type\":\"ip\",\"value\":\"10.8.198.9\"},{\"type\":\"ip\",\"v"
          "alue\":\"172.16.32.38\"},{\"type\":\"hostname\",\"value\":\"dt-aldom\"},{\"type\":\"domain"
          "\",\"value\":\"dt-aldom.M365x594651.onmicrosoft.com\"}],\"observed_time\":{\"end_time\":\""
          "2019-10-11T15:31:00Z\",\"start_time\":\"2019-10-11T15:31:00Z\"},\"type\":\"endpoint\"}],\""
          "timestamp\":\"2019-10-11T15:31:00Z\",\"title\":\"Connection to newly registered domain\",\""
          "type\":\"sighting\"}}" },
        { "file_name",
          "{\"observable\":\"file.bin\",\"input\":{\"activityGroupName\":null,\"assignedTo\":\"\",\"a"
          "zureSubscriptionId\":\"\",\"azureTenantId\":\"63d0b44f-8610-4dd2-91fd-541ffc973399\",\"cat"
          "egory\":\"threat\",\"closedDateTime\":null,\"cloudAppStates\":[],\"comments\":[],\"confide"
          "nce\":null,\"createdDateTime\":\"2019-11-23T15:11:31Z\",\"description\":\"Traps: Malware B"
          "locked\",\"detectionIds\":[],\"eventDateTime\":\"2019-11-23T15:58:31Z\",\"feedback\":\"unk"
          "nown\",\"fileStates\":[{\"fileHash\":null,\"name\":\"file.bin\",\"path\":\"/tmp\",\"riskSc"
          "ore\":\"\"}],\"historyStates\":[],\"hostStates\":[{\"fqdn\":\"linux-client131\",\"isAzureA"
          "dJoined\":null,\"isAzureAdRegistered\":null,\"isHybridAzureDomainJoined\":null,\"netBiosNa"
          "me\":\"\",\"os\":null,\"privateIpAddress\":\"10.8.122.32\",\"publicIpAddress\":\"\",\"risk"
          "Score\":\"\"}],\"id\":\"5AE9CC76-B587-4401-95C7-A8C878B7FFA5\",\"lastModifiedDateTime\":\""
          "2019-11-23T15:11:31Z\",\"malwareStates\":[],\"networkConnections\":[{\"applicationName\":n"
          "ull,\"destinationAddress\":\"54.243.225.218\",\"destinationDomain\":null,\"destinationPort"
          "\":\"3712\",\"destinationUrl\":null,\"direction\":null,\"domainRegisteredDateTime\":null,\""
          "localDnsName\":null,\"natDestinationAddress\":null,\"natDestinationPort\":null,\"natSource"
          "Address\":null,\"natSourcePort\":null,\"protocol\":\"tcp\",\"riskScore\":null,\"sourceAddr"
          "ess\":\"10.8.122.32\",\"sourcePort\":\"8371\",\"status\":null,\"urlParameters\":null}],\"p"
          "rocesses\":[],\"recommendedActions\":[],\"registryKeyStates\":[],\"riskScore\":null,\"seve"
          "rity\":\"high\",\"sourceMaterials\":[],\"status\":\"newAlert\",\"tags\":[],\"title\":\"Tra"
          "ps: Malware Blocked\",\"triggers\":[],\"userStates\":[{\"aadUserId\":null,\"accountName\":"
          "\"adamw\",\"domainName\":\"M365x594651.onmicrosoft.com\",\"emailRole\":\"unknown\",\"isVpn"
          "\":null,\"logonDateTime\":null,\"logonId\":\"\",\"logonIp\":null,\"logonLocation\":\"\",\""
          "logonType\":\"unknown\",\"onPremisesSecurityIdentifier\":\"\",\"riskScore\":\"\",\"userAcc"
          "ountType\":\"unknown\",\"userPrincipalName\":\"adamw@M365x594651.onmicrosoft.com\"}],\"ven"
          "dorInformation\":{\"provider\":\"Palo Alto Networks\",\"providerVersion\":\"5.0\",\"subPro"
          "vider\":\"Traps\",\"vendor\":\"Palo Alto Networks\"},\"vulnerabilityStates\":[]},\"output\""
          ":{\"count\":1,\"confidence\":\"None\",\"description\":\"Traps: Malware Blocked\",\"externa"
          "l_ids\":[\"5AE9CC76-B587-4401-95C7-A8C878B7FFA5\"],\"external_references\":[],\"observable"
          "s\":[{\"type\":\"file_name\",\"value\":\"file.bin\"}],\"observed_time\":{\"end_time\":\"20"
          "19-11-23T15:58:31Z\",\"start_time\":\"2019-11-23T15:58:31Z\"},\"relations\":[],\"schema_ve"
          "rsion\":\"1.0.12\",\"sensor\":\"endpoint\",\"severity\":\"High\",\"source\":\"Microsoft Gr"
          "aph Security\",\"targets\":[{\"observables\":[{\"type\":\"ip\",\"value\":\"10.8.122.32\"},"
          "{\"type\":\"domain\",\"value\":\"linux-client131\"}],\"observed_time\":{\"start_time\":\"2"
          "019-11-23T15:58:31Z\",\"end_time\":\"2019-11-23T15:58:31Z\"},\"type\":\"endpoint\"}],\"tim"
          "estamp\":\"2019-11-23T15:58:31Z\",\"title\":\"Traps: Malware Blocked\",\"type\":\"sighting"
          "\"}}" },
        { "file_path",
          "{\"observable\":\"C:\\\\Windows\\\\SYSTEM32\\\\ntdll.dll\",\"input\":{\"activityGroupName\""
          ":null,\"assignedTo\":null,\"azureSubscriptionId\":null,\"azureTenantId\":\"63d0b44f-8610-4"
          "dd2-91fd-541ffc973399\",\"category\":\"exploit\",\"closedDateTime\":null,\"cloudAppStates\""
          ":[],\"comments\":[],\"confidence\":null,\"createdDateTime\":\"2019-11-21T15:37:00Z\",\"des"
          "cription\":\"A process suspiciously tried to access the export address table (EAT) to look"
          " for potentially useful APIs. This might indicate an exploitation attempt. The process svc"
          "host.exe, with process ID 404, tried accessing the Export Address table for module C:\\\\\\"
          "\\Windows\\\\\\\\SYSTEM32\\\\\\\\ntdll.dll and was blocked\",\"detectionIds\":[],\"eventDa"
          "teTime\":\"2019-11-21T15:12:00Z\",\"feedback\":null,\"fileStates\":[{\"fileHash\":null,\"n"
          "ame\":\"ntdll.dll\",\"path\":\"C:\\\\Windows\\\\SYSTEM32\\\\ntdll.dll\",\"riskScore\":null"
          "}],\"historyStates\":[],\"hostStates\":[{\"fqdn\":\"dt-aldom.m365x595651.onmicrosoft.com\""
          ",\"isAzureAdJoined\":false,\"isAzureAdRegistered\":true,\"isHybridAzureDomainJoined\":null"
          ",\"netBiosName\":\"dt-aldom\",\"os\":null,\"privateIpAddress\":\"10.8.198.7\",\"publicIpAd"
          "dress\":\"172.16.37.134\",\"riskScore\":\"\"}],\"id\":\"0F72C58F-1D01-4284-BB32-C53DD45B5C"
          "01\",\"lastModifiedDateTime\":\"2019-11-21T16:55:00Z\",\"malwareStates\":[],\"networkConne"
          "ctions\":[],\"processes\":[{\"accountName\":\"NT AUTHORITY\\\\SYSTEM\",\"commandLine\":\"s"
          "vchost.exe -k WerSvcGroup\",\"createdDateTime\":\"2018-11-08T23:45:35Z\",\"fileHash\":null"
          ",\"integrityLevel\":\"unknown\",\"isElevated\":true,\"name\":\"svchost.exe\",\"parentProce"
          "ssCreatedDateTime\":\"2018-11-06T23:35:31Z\",\"parentProcessId\":628,\"parentProcessName\""
          ":\"services.exe\",\"path\":\"C:\\\\Windows\\\\System32\\\\svchost.exe\",\"processId\":6232"
          "}],\"recommendedActions\":[\"Validate the alert, collect artifacts, and determine scope. I"
          "f possible, upgrade the software containing the vulnerable driver to an updated version wi"
          "thout the vulnerability.\"],\"registryKeyStates\":[],\"riskScore\":null,\"severity\":\"hig"
          "h\",\"sourceMaterials\":[\"https://beta.securitycenter.windows.com/alert/1872609273_636353"
          "916002745581\"],\"status\":\"newAlert\",\"tags\":[],\"title\":\"Exploit Guard blocked dyna"
          "mic code execution\",\"triggers\":[],\"userStates\":[{\"aadUserId\":null,\"accountName\":\""
          "aldom\",\"domainName\":\"M365x594651.onmicrosoft.com\",\"emailRole\":\"unknown\",\"isVpn\""
          ":null,\"logonDateTime\":null,\"logonId\":\"S-1-5-21-2240959070-459921296-192865976-2611\","
          "\"logonIp\":null,\"logonLocation\":null,\"logonType\":\"remoteInteractive\",\"onPremisesSe"
          "curityIdentifier\":\"S-1-5-86-615999462-62705297-2911207457-59056572-3668589840\",\"riskSc"
          "ore\":null,\"userAccountType\":\"administrator\",\"userPrincipalName\":\"aldom@M365x594651"
          ".onmicrosoft.com\"}],\"vendorInformation\":{\"provider\":\"Windows Defender ATP\",\"provid"
          "erVersion\":\"3.10.2\",\"subProvider\":\"DeviceGuard\",\"vendor\":\"Microsoft\"},\"vulnera"
          "bilityStates\":[]},\"output\":{\"count\":1,\"confidence\":\"None\",\"description\":\"A pro"
          "cess suspiciously tried to access the export address table (EAT) to look for potentially u"
          "seful APIs. This might indicate an exploitation attempt. The process svchost.exe, with pro"
          "cess ID 404, tried accessing the Export Address table for module C:\\\\\\\\Windows\\\\\\\\"
          "SYSTEM32\\\\\\\\ntdll.dll and was blocked\",\"external_ids\":[\"0F72C58F-1D01-4284-BB32-C5"
          "3DD45B5C01\"],\"external_references\":[{\"source_name\":\"Windows Defender ATP\",\"url\":\""
          "https://beta.securitycenter.windows.com/alert/1872609273_636353916002745581\"}],\"observab"
          "les\":[{\"type\":\"file_path\",\"value\":\"C:\\\\Windows\\\\SYSTEM32\\\\ntdll.dll\"}],\"ob"
          "served_time\":{\"end_time\":\"2019-11-21T15:12:00Z\",\"start_time\":\"2019-11-21T15:12:00Z"
          "\"},\"relations\":[],\"schema_version\":\"1.0.12\",\"sensor\":\"endpoint\",\"severity\":\""
          "High\",\"source\":\"Microsoft Graph Security\",\"targets\":[{\"observables\":[{\"type\":\""
          "ip\",\"value\":\"10.8.198.7\"},{\"type\":\"ip\",\"value\":\"172.16.37.134\"},{\"type\":\"h"
          "ostname\",\"value\":\"dt-aldom\"},{\"type\":\"domain\",\"value\":\"dt-aldom.m365x595651.on"
          "microsoft.com\"}],\"observed_time\":{\"start_time\":\"2019-11-21T15:12:00Z\",\"end_time\":"
          "\"2019-11-21T15:12:00Z\"},\"type\":\"endpoint\"}],\"timestamp\":\"2019-11-21T15:12:00Z\",\""
          "title\":\"Exploit Guard blocked dynamic code execution\",\"type\":\"sighting\"}}" },
        { "hostname",
          "{\"observable\":\"lap-pattif\",\"input\":{\"activityGroupName\":null,\"assignedTo\":\"\",\""
          "azureSubscriptionId\":\"344d72a7-1b67-426c-bb5a-c14a81f7e675\",\"azureTenantId\":\"63d0b44"
          "f-8610-4dd2-91fd-541ffc973399\",\"category\":\"KnownCredentialAccessTools\",\"closedDateTi"
          "me\":null,\"cloudAppStates\":[],\"comments\":[],\"confidence\":0,\"createdDateTime\":\"201"
          "9-11-18T19:50:42.9424253Z\",\"description\":\"Machine logs indicate that the suspicious pr"
          "ocess: 'c:\\\\users\\\\pattif\\\\appdata\\\\local\\\\temp\\\\mimikatz.exe' was running on "
          "the machine, often associated with attacker attempts to access credentials.'\",\"detection"
          "Ids\":[],\"eventDateTime\":\"2019-11-18T19:50:39.3772751Z\",\"feedback\":null,\"fileStates"
          "\":[{\"fileHash\":null,\"name\":\"mimikatz.exe\",\"path\":\"c:\\\\users\\\\pattif\\\\appda"
          "ta\\\\local\\\\temp\\\\mimikatz.exe\",\"riskScore\":\"0\"}],\"historyStates\":[],\"hostSta"
          "tes\":[{\"fqdn\":\"lap-pattif.M365x594651.onmicrosoft.com\",\"isAzureAdJoined\":null,\"isA"
          "zureAdRegistered\":null,\"isHybridAzureDomainJoined\":false,\"netBiosName\":\"lap-pattif\""
          ",\"os\":\"\",\"privateIpAddress\":null,\"publicIpAddress\":null,\"riskScore\":\"0\"}],\"id"
          "\":\"C037F5DE-DE6C-47CB-8A11-300EC42D94D1\",\"lastModifiedDateTime\":\"2019-11-18T19:50:47"
          ".0011912Z\",\"malwareStates\":[],\"networkConnections\":[],\"processes\":[{\"accountName\""
          ":\"\",\"commandLine\":\"\",\"createdDateTime\":null,\"fileHash\":null,\"integrityLevel\":\""
          "unknown\",\"isElevated\":false,\"name\":\"\",\"parentProcessCreatedDateTime\":null,\"paren"
          "tProcessId\":null,\"parentProcessName\":\"\",\"path\":\"\",\"processId\":3108},{\"accountN"
          "ame\":\"\",\"commandLine\":\".\\\\mimikatz.exe\",\"createdDateTime\":\"2018-11-19T19:50:39"
          "Z\",\"fileHash\":null,\"integrityLevel\":\"unknown\",\"isElevated\":false,\"name\":\"\",\""
          "parentProcessCreatedDateTime\":null,\"parentProcessId\":null,\"parentProcessName\":\"\",\""
          "path\":\"\",\"processId\":8076}],\"recommendedActions\":[\"1. Run Process Explorer and try"
          " to identify unknown running processes (see https://technet.microsoft.com/en-us/sysinterna"
          "ls/bb896653.aspx)\",\"2. Escalate the alert to the information security team\",\"3. Make s"
          "ure the machine is completely updated and has an updated anti-malware application installe"
          "d\",\"4. Run a full anti-malware scan and verify that the threat was removed\",\"5. Instal"
          "l and run Microsoft's Malicious Software Removal Tool (see https://www.microsoft.com/en-us"
          "/download/malicious-software-removal-tool-details.aspx)\",\"6. Run Microsoft's Autoruns ut"
          "ility and try to identify unknown applications that are configured to run at login (see ht"
          "tps://technet.microsoft.com/en-us/sysinternals/bb963902.aspx)\"],\"registryKeyStates\":[],"
          "\"riskScore\":null,\"severity\":\"high\",\"sourceMaterials\":[],\"status\":\"newAlert\",\""
          "tags\":[],\"title\":\"Suspicious process executed\",\"triggers\":[],\"userStates\":[{\"aad"
          "UserId\":\"\",\"accountName\":\"pattif\",\"domainName\":\"M365x594651.onmicrosoft.com\",\""
          "emailRole\":\"unknown\",\"isVpn\":null,\"logonDateTime\":null,\"logonId\":\"0\",\"logonIp\""
          ":null,\"logonLocation\":null,\"logonType\":null,\"onPremisesSecurityIdentifier\":\"\",\"ri"
          "skScore\":\"0\",\"userAccountType\":null,\"userPrincipalName\":\"pattif@M365x594651.onmicr"
          "osoft.com\"}],\"vendorInformation\":{\"provider\":\"Azure Security Center\",\"providerVers"
          "ion\":\"3.0\",\"subProvider\":null,\"vendor\":\"Microsoft\"},\"vulnerabilityStates\":[]},\""
          "output\":{\"count\":1,\"confidence\":\"Low\",\"description\":\"Machine logs indicate that "
          "the suspicious process: 'c:\\\\users\\\\pattif\\\\appdata\\\\local\\\\temp\\\\mimikatz.exe"
          "' was running on the machine, often associated with attacker attempts to access credential"
          "s.'\",\"external_ids\":[\"C037F5DE-DE6C-47CB-8A11-300EC42D94D1\"],\"external_references\":"
          "[],\"observables\":[{\"type\":\"hostname\",\"value\":\"lap-pattif\"}],\"observed_time\":{\""
          "end_time\":\"2019-11-18T19:50:39.3772751Z\",\"start_time\":\"2019-11-18T19:50:39.3772751Z\""
          "},\"relations\":[],\"schema_version\":\"1.0.12\",\"sensor\":\"endpoint\",\"severity\":\"Hi"
          "gh\",\"source\":\"Microsoft Graph Security\",\"targets\":[{\"observables\":[{\"type\":\"ho"
          "stname\",\"value\":\"lap-pattif\"},{\"type\":\"domain\",\"value\":\"lap-pattif.M365x594651"
          ".onmicrosoft.com\"}],\"observed_time\":{\"start_time\":\"2019-11-18T19:50:39.3772751Z\",\""
          "end_time\":\"2019-11-18T19:50:39.3772751Z\"},\"type\":\"endpoint\"}],\"timestamp\":\"2019-"
          "11-18T19:50:39.3772751Z\",\"title\":\"Suspicious process executed\",\"type\":\"sighting\"}"
          "}" },
        { "ip",
          "{\"observable\":\"172.16.33.115\",\"input\":{\"activityGroupName\":null,\"assignedTo\":nul"
          "l,\"azureSubscriptionId\":null,\"azureTenantId\":\"63d0b44f-8610-4dd2-91fd-541ffc973399\","
          "\"category\":\"suspiciousActivity\",\"closedDateTime\":\"2019-11-25T15:32:00Z\",\"cloudApp"
          "States\":[],\"comments\":[],\"confidence\":null,\"createdDateTime\":\"2019-11-25T15:32:00Z"
          "\",\"description\":\"A suspicious Powershell commandline was found on the machine. This co"
          "mmandline might be used during installation, exploration, or in some cases with lateral mo"
          "vement activities which are used by attackers to invoke modules, download external payload"
          "s, and get more information about the system. Attackers usually use Powershell to bypass s"
          "ecurity protection mechanisms by executing their payload in memory without touching the di"
          "sk and leaving any trace.\",\"detectionIds\":[],\"eventDateTime\":\"2019-11-25T15:31:00Z\""
          ",\"feedback\":null,\"fileStates\":[],\"historyStates\":[],\"hostStates\":[{\"fqdn\":\"dt-a"
          "ldom.M365x594651.onmicrosoft.com\",\"isAzureAdJoined\":false,\"isAzureAdRegistered\":true,"
          "\"isHybridAzureDomainJoined\":null,\"netBiosName\":\"dt-aldom\",\"os\":null,\"privateIpAdd"
          "ress\":\"10.8.198.18\",\"publicIpAddress\":\"172.16.33.115\",\"riskScore\":\"\"}],\"id\":\""
          "F42BFF8C-519A-4DE9-A655-1DA0EA511DFD\",\"lastModifiedDateTime\":\"2019-11-25T15:32:00Z\",\""
          "malwareStates\":[],\"networkConnections\":[{\"applicationName\":null,\"destinationAddress\""
          ":\"95.142.39.125\",\"destinationDomain\":null,\"destinationPort\":null,\"destinationUrl\":"
          "null,\"direction\":\"inbound\",\"domainRegisteredDateTime\":null,\"localDnsName\":null,\"n"
          "atDestinationAddress\":null,\"natDestinationPort\":null,\"natSourceAddress\":null,\"natSou"
          "rcePort\":null,\"protocol\":\"ipv4\",\"riskScore\":null,\"sourceAddress\":\"172.16.33.115\""
          ",\"sourcePort\":null,\"status\":null,\"urlParameters\":null}],\"processes\":[],\"recommend"
          "edActions\":[\"1. Examine the PowerShell commandline to understand what commands were exec"
          "uted. Note: the script may need to be decoded if it is base64-encoded.  2. Search the scri"
          "pt for more indicators to investigate - for example IP addresses (potential C&C servers), "
          "target computers etc.  3. Explore the timeline of this and other related machines for addi"
          "tional suspect activities around the time of the alert.  4. Look for the process that invo"
          "ked this PowerShell run and their origin. Consider submitting any suspect files in the cha"
          "in for deep analysis for detailed behavior information.\"],\"registryKeyStates\":[],\"risk"
          "Score\":null,\"severity\":\"medium\",\"sourceMaterials\":[\"https://securitycenter.windows"
          ".com/alerts/4fdecbad-1b66-4b9f-88ae-d81e33f30d0b\"],\"status\":\"newAlert\",\"tags\":[],\""
          "title\":\"Suspicious Powershell commandline\",\"triggers\":[],\"userStates\":[{\"aadUserId"
          "\":null,\"accountName\":\"aldom\",\"domainName\":\"M365x594651.onmicrosoft.com\",\"emailRo"
          "le\":\"unknown\",\"isVpn\":null,\"logonDateTime\":null,\"logonId\":null,\"logonIp\":null,\""
          "logonLocation\":null,\"logonType\":null,\"onPremisesSecurityIdentifier\":null,\"riskScore\""
          ":null,\"userAccountType\":null,\"userPrincipalName\":\"aldom@M365x594651.onmicrosoft.com\""
          "}],\"vendorInformation\":{\"provider\":\"Windows Defender ATP\",\"providerVersion\":\"3.10"
          ".2\",\"subProvider\":\"EDR\",\"vendor\":\"Microsoft\"},\"vulnerabilityStates\":[]},\"outpu"
          "t\":{\"count\":1,\"confidence\":\"None\",\"description\":\"A suspicious Powershell command"
          "line was found on the machine. This commandline might be used during installation, explora"
          "tion, or in some cases with lateral movement activities which are used by attackers to inv"
          "oke modules, download external payloads, and get more information about the system. Attack"
          "ers usually use Powershell to bypass security protection mechanisms by executing their pay"
          "load in memory without touching the disk and leaving any trace.\",\"external_ids\":[\"F42B"
          "FF8C-519A-4DE9-A655-1DA0EA511DFD\"],\"external_references\":[{\"source_name\":\"Windows De"
          "fender ATP\",\"url\":\"https://securitycenter.windows.com/alerts/4fdecbad-1b66-4b9f-88ae-d"
          "81e33f30d0b\"}],\"observables\":[{\"type\":\"ip\",\"value\":\"172.16.33.115\"}],\"observed"
          "_time\":{\"end_time\":\"2019-11-25T15:31:00Z\",\"start_time\":\"2019-11-25T15:31:00Z\"},\""
          "relations\":[],\"schema_version\":\"1.0.12\",\"sensor\":\"endpoint\",\"severity\":\"Medium"
          "\",\"source\":\"Microsoft Graph Security\",\"targets\":[{\"observables\":[{\"type\":\"ip\""
          ",\"value\":\"10.8.198.18\"},{\"type\":\"ip\",\"value\":\"172.16.33.115\"},{\"type\":\"host"
          "name\",\"value\":\"dt-aldom\"},{\"type\":\"domain\",\"value\":\"dt-aldom.M365x594651.onmic"
          "rosoft.com\"}],\"observed_time\":{\"start_time\":\"2019-11-25T15:31:00Z\",\"end_time\":\"2"
          "019-11-25T15:31:00Z\"},\"type\":\"endpoint\"}],\"timestamp\":\"2019-11-25T15:31:00Z\",\"ti"
          "tle\":\"Suspicious Powershell commandline\",\"type\":\"sighting\"}}" },
        { "sha256",
          "{\"observable\":\"091835b16192e526ee1b8a04d0fcef534544cad306672066f2ad6973a4b18b19\",\"inp"
          "ut\":{\"activityGroupName\":null,\"assignedTo\":\"analyst@contoso.com\",\"azureSubscriptio"
          "nId\":null,\"azureTenantId\":\"63d0b44f-8610-4dd2-91fd-541ffc973399\",\"category\":\"Socia"
          "l Engineering\",\"closedDateTime\":\"2019-11-27T09:14:09Z\",\"cloudAppStates\":[],\"commen"
          "ts\":[\"pen test\"],\"confidence\":null,\"createdDateTime\":\"2019-11-27T09:14:09Z\",\"des"
          "cription\":\"Attackers can implant the right-to-left-override (RLO) in a filename to chang"
          "e the order of the characters in the filename and make it appear legitimate.  This techniq"
          "ue is used in different social engineering attacks to convince the user to run the file, a"
          "nd may also be used for hiding purposes.  The file photoviewgpj.ps1 disguises itself as ph"
          "otoview1sp.jpg\",\"detectionIds\":[],\"eventDateTime\":\"2019-11-27T15:31:00Z\",\"feedback"
          "\":\"falsePositive\",\"fileStates\":[{\"fileHash\":{\"hashType\":\"sha256\",\"hashValue\":"
          "\"091835b16192e526ee1b8a04d0fcef534544cad306672066f2ad6973a4b18b19\"},\"name\":\"photoview"
          "1sp.jpg\",\"path\":\"c:\\\\\\\\temp\\\\\\\\photoview1sp.jpg\",\"riskScore\":\"\"}],\"histo"
          "ryStates\":[],\"hostStates\":[],\"id\":\"EF76CDE9-C3C4-4A83-9707-9EF003C379BB\",\"lastModi"
          "fiedDateTime\":\"2019-11-27T15:32:00Z\",\"malwareStates\":[],\"networkConnections\":[],\"p"
          "rocesses\":[],\"recommendedActions\":[],\"registryKeyStates\":[],\"riskScore\":null,\"seve"
          "rity\":\"medium\",\"sourceMaterials\":[],\"status\":\"inProgress\",\"tags\":[],\"title\":\""
          "Right-to-Left-Override (RLO) technique observed\",\"triggers\":[],\"userStates\":[{\"aadUs"
          "erId\":null,\"accountName\":\"douglasf\",\"domainName\":\"M365x594651.onmicrosoft.com\",\""
          "emailRole\":\"unknown\",\"isVpn\":null,\"logonDateTime\":null,\"logonId\":null,\"logonIp\""
          ":null,\"logonLocation\":null,\"logonType\":null,\"onPremisesSecurityIdentifier\":null,\"ri"
          "skScore\":null,\"userAccountType\":null,\"userPrincipalName\":\"douglasf@M365x594651.onmic"
          "rosoft.com\"}],\"vendorInformation\":{\"provider\":\"Windows Defender ATP\",\"providerVers"
          "ion\":\"3.10.2002\",\"subProvider\":\"EDR\",\"vendor\":\"Microsoft\"},\"vulnerabilityState"
          "s\":[]},\"output\":{\"count\":1,\"confidence\":\"None\",\"description\":\"Attackers can im"
          "plant the right-to-left-override (RLO) in a filename to change the order of the characters"
          " in the filename and make it appear legitimate.  This technique is used in different socia"
          "l engineering attacks to convince the user to run the file, and may also be used for hidin"
          "g purposes.  The file photoviewgpj.ps1 disguises itself as photoview1sp.jpg\",\"external_i"
          "ds\":[\"EF76CDE9-C3C4-4A83-9707-9EF003C379BB\"],\"external_references\":[],\"observables\""
          ":[{\"type\":\"sha256\",\"value\":\"091835b16192e526ee1b8a04d0fcef534544cad306672066f2ad697"
          "3a4b18b19\"}],\"observed_time\":{\"end_time\":\"2019-11-27T15:31:00Z\",\"start_time\":\"20"
          "19-11-27T15:31:00Z\"},\"relations\":[{\"origin\":\"Windows Defender ATP\",\"related\":{\"t"
          "ype\":\"sha256\",\"value\":\"091835b16192e526ee1b8a04d0fcef534544cad306672066f2ad6973a4b18"
          "b19\"},\"relation\":\"File_Name_Of\",\"source\":{\"type\":\"file_name\",\"value\":\"photov"
          "iew1sp.jpg\"}},{\"origin\":\"Windows Defender ATP\",\"related\":{\"type\":\"sha256\",\"val"
          "ue\":\"091835b16192e526ee1b8a04d0fcef534544cad306672066f2ad6973a4b18b19\"},\"relation\":\""
          "File_Path_Of\",\"source\":{\"type\":\"file_path\",\"value\":\"c:\\\\\\\\temp\\\\\\\\photov"
          "iew1sp.jpg\"}}],\"schema_version\":\"1.0.12\",\"sensor\":\"endpoint\",\"severity\":\"Mediu"
          "m\",\"source\":\"Microsoft Graph Security\",\"targets\":[],\"timestamp\":\"2019-11-27T15:3"
          "1:00Z\",\"title\":\"Right-to-Left-Override (RLO) technique observed\",\"type\":\"sighting\""
          "}}" },
        { "url",
          "{\"observable\":\"http://willaimsclarke.com/lee/fre.php\",\"input\":{\"activityGroupName\""
          ":null,\"assignedTo\":\"analyst@M365x594651.onmicrosoft.com\",\"azureSubscriptionId\":null,"
          "\"azureTenantId\":\"63d0b44f-8610-4dd2-91fd-541ffc973399\",\"category\":\"network\",\"clos"
          "edDateTime\":null,\"cloudAppStates\":[],\"comments\":[\"Under investigatiopn\",\"found evi"
          "dence of malware\"],\"confidence\":null,\"createdDateTime\":\"2019-11-26T09:05:37Z\",\"des"
          "cription\":\"The host lap-douglasf created a network connection to a suspicious URL http[:"
          "]//willaimsclarke.com/lee/fre.php\",\"detectionIds\":[],\"eventDateTime\":\"2019-11-26T09:"
          "05:21Z\",\"feedback\":\"truePositive\",\"fileStates\":[],\"historyStates\":[],\"hostStates"
          "\":[{\"fqdn\":\"lap-douglasf365x594651.onmicrosoft.com\",\"isAzureAdJoined\":false,\"isAzu"
          "reAdRegistered\":true,\"isHybridAzureDomainJoined\":null,\"netBiosName\":\"lap-douglasf\","
          "\"os\":\"Windows10\",\"privateIpAddress\":\"10.8.198.11\",\"publicIpAddress\":\"172.16.37."
          "125\",\"riskScore\":null}],\"id\":\"05BD5D80-3385-49D5-BEE4-4E439F9C0071\",\"lastModifiedD"
          "ateTime\":\"2019-11-26T09:05:37Z\",\"malwareStates\":[],\"networkConnections\":[{\"applica"
          "tionName\":null,\"destinationAddress\":\"54.243.225.218\",\"destinationDomain\":\"willaims"
          "clarke.com\",\"destinationPort\":\"80\",\"destinationUrl\":\"http://willaimsclarke.com/lee"
          "/fre.php\",\"direction\":\"outbound\",\"domainRegisteredDateTime\":null,\"localDnsName\":n"
          "ull,\"natDestinationAddress\":null,\"natDestinationPort\":null,\"natSourceAddress\":null,\""
          "natSourcePort\":null,\"protocol\":\"tcp\",\"riskScore\":null,\"sourceAddress\":null,\"sour"
          "cePort\":null,\"status\":null,\"urlParameters\":null}],\"processes\":[],\"recommendedActio"
          "ns\":[],\"registryKeyStates\":[],\"riskScore\":null,\"severity\":\"informational\",\"sourc"
          "eMaterials\":[],\"status\":\"inProgress\",\"tags\":[\"endpoint\"],\"title\":\"Palo Alto NG"
          " Firewall detected a network connection to a suspicious URL\",\"triggers\":[{\"name\":\"ne"
          "tworkConnections.destinationUrl\",\"type\":\"string\",\"value\":\"http://willaimsclarke.co"
          "m/lee/fre.php\"}],\"userStates\":[{\"aadUserId\":null,\"accountName\":\"douglasf\",\"domai"
          "nName\":\"M365x594651.onmicrosoft.com\",\"emailRole\":\"unknown\",\"isVpn\":null,\"logonDa"
          "teTime\":null,\"logonId\":null,\"logonIp\":null,\"logonLocation\":null,\"logonType\":null,"
          "\"onPremisesSecurityIdentifier\":null,\"riskScore\":null,\"userAccountType\":null,\"userPr"
          "incipalName\":\"douglasf@M365x594651.onmicrosoft.com\"}],\"vendorInformation\":{\"provider"
          "\":\"Palo Alto Networks\",\"providerVersion\":\"8.1\",\"subProvider\":\"NG Firewall\",\"ve"
          "ndor\":\"Palo Alto Networks\"},\"vulnerabilityStates\":[]},\"output\":{\"count\":1,\"confi"
          "dence\":\"None\",\"description\":\"The host lap-douglasf created a network connection to a"
          " suspicious URL http[:]//willaimsclarke.com/lee/fre.php\",\"external_ids\":[\"05BD5D80-338"
          "5-49D5-BEE4-4E439F9C0071\"],\"external_references\":[],\"observables\":[{\"type\":\"url\","
          "\"value\":\"http://willaimsclarke.com/lee/fre.php\"}],\"observed_time\":{\"end_time\":\"20"
          "19-11-26T09:05:21Z\",\"start_time\":\"2019-11-26T09:05:21Z\"},\"relations\":[],\"schema_ve"
          "rsion\":\"1.0.12\",\"sensor\":\"network.firewall\",\"severity\":\"Info\",\"source\":\"Micr"
          "osoft Graph Security\",\"targets\":[{\"observables\":[{\"type\":\"ip\",\"value\":\"10.8.19"
          "8.11\"},{\"type\":\"ip\",\"value\":\"172.16.37.125\"},{\"type\":\"hostname\",\"value\":\"l"
          "ap-douglasf\"},{\"type\":\"domain\",\"value\":\"lap-douglasf365x594651.onmicrosoft.com\"}]"
          ",\"observed_time\":{\"start_time\":\"2019-11-26T09:05:21Z\",\"end_time\":\"2019-11-26T09:0"
          "5:21Z\"},\"type\":\"endpoint\"}],\"timestamp\":\"2019-11-26T09:05:21Z\",\"title\":\"Palo A"
          "lto NG Firewall detected a network connection to a suspicious URL\",\"type\":\"sighting\"}"
          "}" },
};

/* --- helpers ------------------------------------------------------------------ */

static cJSON *parse(const char *text)
{
        cJSON *j = cJSON_Parse(text);

        if (!j)
                printf("# unparsable test JSON near: %.60s\n", cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() : "?");
        CU_ASSERT_PTR_NOT_NULL_FATAL(j);
        return j;
}

static const char *str_at(const cJSON *o, const char *key)
{
        const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

        return cJSON_IsString(j) ? j->valuestring : NULL;
}

static bool is_hex_lower(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Checks "transient:sighting-<uuid4>" and removes the id. */
static void strip_transient_id(cJSON *s)
{
        static const char prefix[] = "transient:sighting-";
        const char *id = str_at(s, "id"), *u;

        CU_ASSERT_PTR_NOT_NULL_FATAL(id);
        CU_ASSERT_EQUAL(strncmp(id, "transient:", 10), 0);
        CU_ASSERT_EQUAL_FATAL(strncmp(id, prefix, strlen(prefix)), 0);
        u = id + strlen(prefix);
        CU_ASSERT_EQUAL_FATAL(strlen(u), 36);
        for (size_t i = 0; i < 36; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        CU_ASSERT_EQUAL(u[i], '-');
                } else {
                        CU_ASSERT_TRUE(is_hex_lower(u[i]));
                }
        }
        CU_ASSERT_EQUAL(u[14], '4');
        CU_ASSERT_PTR_NOT_NULL(strchr("89ab", u[19]));
        cJSON_DeleteItemFromObjectCaseSensitive(s, "id");
}

static void json_equal(const char *what, const cJSON *got, const cJSON *want)
{
        if (!cJSON_Compare(got, want, true)) {
                char *g = cJSON_PrintUnformatted(got), *w = cJSON_PrintUnformatted(want);
                printf("# %s:\n#  got  %s\n#  want %s\n", what, g ? g : "(null)", w ? w : "(null)");
                free(g);
                free(w);
        }
        CU_ASSERT_TRUE(cJSON_Compare(got, want, true));
}

static bool string_in(const char *s, const char *const *set)
{
        for (; s && *set; set++)
                if (strcmp(s, *set) == 0)
                        return true;
        return false;
}

static bool is_observable(const cJSON *o)
{
        return cJSON_IsObject(o) && str_at(o, "type") && str_at(o, "value") && cJSON_GetArraySize(o) == 2;
}

/* The shape every sighting of the relay has, whatever the input. */
static void check_sighting_shape(const cJSON *s, const char *type, const char *value)
{
        static const char *const hml[] = { "Low", "Medium", "High", "None", "Unknown", NULL };
        static const char *const sev[] = { "Info", "Low", "Medium", "High", "None", "Unknown", NULL };
        static const char *const allowed[] = {
                "id", "type", "schema_version", "source", "count", "title", "description", "external_ids",
                "external_references", "observables", "observed_time", "timestamp", "confidence",
                "severity", "sensor", "targets", "relations", NULL,
        };
        const cJSON *j, *e, *o;

        CU_ASSERT_TRUE_FATAL(cJSON_IsObject(s));
        cJSON_ArrayForEach(j, s)
                CU_ASSERT_TRUE(string_in(j->string, allowed));
        CU_ASSERT_PTR_NOT_NULL(str_at(s, "id"));
        CU_ASSERT_STRING_EQUAL(str_at(s, "type"), "sighting");
        CU_ASSERT_STRING_EQUAL(str_at(s, "schema_version"), "1.0.12");
        CU_ASSERT_STRING_EQUAL(str_at(s, "source"), "Microsoft Graph Security");
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(s, "count")->valuedouble, 1);
        CU_ASSERT_TRUE(string_in(str_at(s, "confidence"), hml));
        CU_ASSERT_TRUE(string_in(str_at(s, "severity"), sev));
        CU_ASSERT_PTR_NOT_NULL(str_at(s, "sensor"));
        CU_ASSERT_PTR_NOT_NULL(str_at(s, "timestamp"));
        j = cJSON_GetObjectItem(s, "title");
        CU_ASSERT_TRUE(!j || cJSON_IsString(j));
        j = cJSON_GetObjectItem(s, "description");
        CU_ASSERT_TRUE(!j || cJSON_IsString(j));
        j = cJSON_GetObjectItem(s, "observed_time");
        CU_ASSERT_TRUE(str_at(j, "start_time") && str_at(j, "end_time"));
        j = cJSON_GetObjectItem(s, "observables");
        CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(j), 1);
        CU_ASSERT_STRING_EQUAL(str_at(cJSON_GetArrayItem(j, 0), "type"), type);
        CU_ASSERT_STRING_EQUAL(str_at(cJSON_GetArrayItem(j, 0), "value"), value);
        j = cJSON_GetObjectItem(s, "external_ids");
        CU_ASSERT_TRUE_FATAL(cJSON_IsArray(j));
        cJSON_ArrayForEach(e, j)
                CU_ASSERT_TRUE(cJSON_IsString(e));
        j = cJSON_GetObjectItem(s, "external_references");
        CU_ASSERT_TRUE_FATAL(cJSON_IsArray(j));
        cJSON_ArrayForEach(e, j)
                CU_ASSERT_TRUE(str_at(e, "source_name") && str_at(e, "url"));
        j = cJSON_GetObjectItem(s, "targets");
        CU_ASSERT_TRUE_FATAL(cJSON_IsArray(j));
        cJSON_ArrayForEach(e, j) {
                CU_ASSERT_STRING_EQUAL(str_at(e, "type"), "endpoint");
                CU_ASSERT_TRUE(cJSON_IsArray(cJSON_GetObjectItem(e, "observables")));
                cJSON_ArrayForEach(o, cJSON_GetObjectItem(e, "observables"))
                        CU_ASSERT_TRUE(is_observable(o));
                o = cJSON_GetObjectItem(e, "observed_time");
                CU_ASSERT_TRUE(str_at(o, "start_time") && str_at(o, "end_time"));
        }
        j = cJSON_GetObjectItem(s, "relations");
        CU_ASSERT_TRUE_FATAL(cJSON_IsArray(j));
        cJSON_ArrayForEach(e, j) {
                CU_ASSERT_PTR_NOT_NULL(str_at(e, "origin"));
                CU_ASSERT_PTR_NOT_NULL(str_at(e, "relation"));
                CU_ASSERT_TRUE(is_observable(cJSON_GetObjectItem(e, "source")));
                CU_ASSERT_TRUE(is_observable(cJSON_GetObjectItem(e, "related")));
        }
}

/* A growable string for the scanners below. */
typedef struct Buf {
        char *p;
        size_t n;
} Buf;

static void buf_putc(Buf *b, char c)
{
        b->p = xreallocarray(b->p, b->n + 2, 1);
        b->p[b->n++] = c;
        b->p[b->n] = '\0';
}

static void buf_puts(Buf *b, const char *s)
{
        for (; *s; s++)
                buf_putc(b, *s);
}

static char *buf_steal(Buf *b)
{
        char *p = b->p ? b->p : xstrdup("");

        *b = (Buf) { 0 };
        return p;
}

static void buf_done(Buf *b)
{
        free(b->p);
        *b = (Buf) { 0 };
}

/* Decodes %XX (nothing else). */
static char *pct_decode(const char *s, size_t n)
{
        char *out = xmalloc(n + 1), *o = out;

        for (size_t i = 0; i < n; i++) {
                unsigned v;
                if (s[i] == '%' && i + 2 < n && sscanf(s + i + 1, "%2x", &v) == 1) {
                        *o++ = (char) v;
                        i += 2;
                } else
                        *o++ = s[i];
        }
        *o = '\0';
        return out;
}

/* --- enums ------------------------------------------------------------------------ */

static void test_observable_types(void)
{
        static const char *const names[] = { "domain", "file_name", "file_path", "sha256", "ip", "url", "hostname" };

        for (size_t i = 0; i < N_ELEMENTS(names); i++) {
                MsgraphObservable t = msgraph_observable_from_string(names[i]);
                CU_ASSERT_TRUE_FATAL(t >= 0 && t < _MSGRAPH_OBSERVABLE_MAX);
                CU_ASSERT_STRING_EQUAL(msgraph_observable_to_string(t), names[i]);
        }
        /* exact and case-sensitive (§7.1) */
        CU_ASSERT_EQUAL(msgraph_observable_from_string("IP"), _MSGRAPH_OBSERVABLE_INVALID);
        CU_ASSERT_EQUAL(msgraph_observable_from_string("Domain"), _MSGRAPH_OBSERVABLE_INVALID);
        CU_ASSERT_EQUAL(msgraph_observable_from_string("ip "), _MSGRAPH_OBSERVABLE_INVALID);
        CU_ASSERT_EQUAL(msgraph_observable_from_string("email"), _MSGRAPH_OBSERVABLE_INVALID);
        CU_ASSERT_EQUAL(msgraph_observable_from_string("md5"), _MSGRAPH_OBSERVABLE_INVALID);
        CU_ASSERT_EQUAL(msgraph_observable_from_string(""), _MSGRAPH_OBSERVABLE_INVALID);
        CU_ASSERT_EQUAL(msgraph_observable_from_string(NULL), _MSGRAPH_OBSERVABLE_INVALID);
        CU_ASSERT_PTR_NULL(msgraph_observable_to_string(_MSGRAPH_OBSERVABLE_MAX));
        CU_ASSERT_PTR_NULL(msgraph_observable_to_string(_MSGRAPH_OBSERVABLE_INVALID));

        CU_ASSERT_EQUAL(msgraph_api_from_string("legacy"), MSGRAPH_API_LEGACY);
        CU_ASSERT_EQUAL(msgraph_api_from_string("hunting"), MSGRAPH_API_HUNTING);
        CU_ASSERT_EQUAL(msgraph_api_from_string("Hunting"), _MSGRAPH_API_INVALID);
        CU_ASSERT_EQUAL(msgraph_api_from_string(NULL), _MSGRAPH_API_INVALID);
        CU_ASSERT_EQUAL(msgraph_api_from_string("advanced_hunting"), MSGRAPH_API_HUNTING);
        CU_ASSERT_STRING_EQUAL(msgraph_api_to_string(MSGRAPH_API_DEFAULT), "advanced_hunting");
        CU_ASSERT_PTR_NULL(msgraph_api_to_string(_MSGRAPH_API_MAX));
}

/* --- golden legacy mapping ---------------------------------------------------------- */

static void test_golden_legacy(void)
{
        for (size_t i = 0; i < N_ELEMENTS(fixtures); i++) {
                cJSON *f = parse(fixtures[i].json), *s = NULL;
                MsgraphObservable t = msgraph_observable_from_string(fixtures[i].type);
                const char *value = str_at(f, "observable");

                CU_ASSERT_TRUE_FATAL(t >= 0);
                CU_ASSERT_PTR_NOT_NULL_FATAL(value);
                CU_ASSERT_EQUAL_FATAL(msgraph_legacy_sighting(t, value, cJSON_GetObjectItem(f, "input"), NULL, &s), 0);
                check_sighting_shape(s, fixtures[i].type, value);
                strip_transient_id(s);
                json_equal(fixtures[i].type, s, cJSON_GetObjectItem(f, "output"));
                cJSON_Delete(s);
                cJSON_Delete(f);
        }
}

/* The same through a whole response, as the relay sees it. */
static void test_golden_legacy_response(void)
{
        for (size_t i = 0; i < N_ELEMENTS(fixtures); i++) {
                cJSON *f = parse(fixtures[i].json), *resp = cJSON_CreateObject(), *list = cJSON_CreateArray();
                MsgraphObservable t = msgraph_observable_from_string(fixtures[i].type);
                const char *value = str_at(f, "observable");
                const char *id0, *id1;
                cJSON *out = NULL, *s;
                size_t skipped = 99;

                cJSON_AddItemToArray(list, cJSON_Duplicate(cJSON_GetObjectItem(f, "input"), true));
                cJSON_AddItemToArray(list, cJSON_Duplicate(cJSON_GetObjectItem(f, "input"), true));
                cJSON_AddItemToObject(resp, "value", list);
                cJSON_AddStringToObject(resp, "@odata.nextLink", "https://graph.microsoft.com/v1.0/next");
                CU_ASSERT_EQUAL_FATAL(msgraph_legacy_sightings(t, value, resp, 100, NULL, &out, &skipped), 0);
                CU_ASSERT_EQUAL(skipped, 0);
                CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(out), 2);
                /* a new id for every sighting, even of the same alert */
                id0 = str_at(cJSON_GetArrayItem(out, 0), "id");
                id1 = str_at(cJSON_GetArrayItem(out, 1), "id");
                CU_ASSERT_TRUE_FATAL(id0 && id1);
                CU_ASSERT_STRING_NOT_EQUAL(id0, id1);
                cJSON_ArrayForEach(s, out) {
                        strip_transient_id(s);
                        json_equal(fixtures[i].type, s, cJSON_GetObjectItem(f, "output"));
                }
                cJSON_Delete(out);
                cJSON_Delete(resp);
                cJSON_Delete(f);
        }
}

/* The embedded copies are the shared fixtures (skipped where the shared
 * directory is not next to the source tree). */
static void test_fixtures_match_shared(void)
{
        const char *top = getenv("top_srcdir");
        unsigned compared = 0;

        for (size_t i = 0; i < N_ELEMENTS(fixtures); i++) {
                _cleanup_free_ char *path = xasprintf(
                        "%s/../shared/fixtures/relays/microsoft-graph-security/unit-data/%s.json",
                        top ? top : TOP_SRCDIR, fixtures[i].type);
                _cleanup_free_ char *text = NULL;
                cJSON *a, *b;
                FILE *fp = fopen(path, "re");
                size_t n;
                long len;

                if (!fp)
                        continue;
                CU_ASSERT_EQUAL_FATAL(fseek(fp, 0, SEEK_END), 0);
                len = ftell(fp);
                CU_ASSERT_TRUE_FATAL(len > 0);
                rewind(fp);
                text = xmalloc((size_t) len + 1);
                n = fread(text, 1, (size_t) len, fp);
                fclose(fp);
                text[n] = '\0';
                a = parse(text);
                b = parse(fixtures[i].json);
                json_equal(fixtures[i].type, b, a);
                cJSON_Delete(a);
                cJSON_Delete(b);
                compared++;
        }
        if (compared == 0)
                printf("# shared fixtures not found, embedded copies not compared\n");
}

/* --- legacy mapping details and hostile alerts --------------------------------------------- */

static cJSON *legacy_map(const char *type, const char *value, const char *alert_json)
{
        cJSON *alert = parse(alert_json), *s = NULL;
        MsgraphObservable t = msgraph_observable_from_string(type);

        CU_ASSERT_EQUAL(msgraph_legacy_sighting(t, value, alert, NULL, &s), 0);
        cJSON_Delete(alert);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        check_sighting_shape(s, type, value);
        return s;
}

static void confidence_is(const char *conf_json, const char *want)
{
        _cleanup_free_ char *alert = xasprintf("{\"eventDateTime\":\"2020-01-01T00:00:00Z\",\"confidence\":%s}",
                                                conf_json);
        cJSON *s = legacy_map("ip", "1.2.3.4", alert);

        if (strcmp(str_at(s, "confidence"), want) != 0)
                printf("# confidence %s: got %s, want %s\n", conf_json, str_at(s, "confidence"), want);
        CU_ASSERT_STRING_EQUAL(str_at(s, "confidence"), want);
        cJSON_Delete(s);
}

static void severity_is(const char *sev_json, const char *want)
{
        _cleanup_free_ char *alert = xasprintf("{\"eventDateTime\":\"2020-01-01T00:00:00Z\",\"severity\":%s}",
                                                sev_json);
        cJSON *s = legacy_map("ip", "1.2.3.4", alert);

        CU_ASSERT_STRING_EQUAL(str_at(s, "severity"), want);
        cJSON_Delete(s);
}

static void sensor_is(const char *vendor_json, const char *want)
{
        _cleanup_free_ char *alert = xasprintf(
                "{\"eventDateTime\":\"2020-01-01T00:00:00Z\",\"vendorInformation\":%s}", vendor_json);
        cJSON *s = legacy_map("ip", "1.2.3.4", alert);

        CU_ASSERT_STRING_EQUAL(str_at(s, "sensor"), want);
        cJSON_Delete(s);
}

static void test_legacy_bands(void)
{
        confidence_is("null", "None");
        confidence_is("0", "Low");
        confidence_is("-5", "Low");
        confidence_is("33", "Low");
        confidence_is("33.5", "Medium");
        confidence_is("66", "Medium");
        confidence_is("67", "High");
        confidence_is("100", "High");
        confidence_is("100.5", "Unknown");
        confidence_is("101", "Unknown");
        confidence_is("1e300", "Unknown");
        /* upstream answers 500 to these (§9 row 25) */
        confidence_is("\"50\"", "Unknown");
        confidence_is("true", "Unknown");
        confidence_is("[]", "Unknown");
        confidence_is("{}", "Unknown");

        severity_is("\"unknown\"", "Unknown");
        severity_is("\"informational\"", "Info");
        severity_is("\"low\"", "Low");
        severity_is("\"medium\"", "Medium");
        severity_is("\"high\"", "High");
        /* upstream answers 500 (§9 row 24) */
        severity_is("\"unknownFutureValue\"", "Unknown");
        severity_is("\"High\"", "Unknown");
        severity_is("\"\"", "Unknown");
        severity_is("null", "Unknown");
        severity_is("3", "Unknown");

        sensor_is("{\"provider\":\"Palo Alto Networks\",\"subProvider\":\"NGFW\"}", "network.firewall");
        sensor_is("{\"provider\":\"Palo Alto Networks\",\"subProvider\":\"NG Firewall\"}", "network.firewall");
        sensor_is("{\"provider\":\"Palo Alto Networks\",\"subProvider\":\"Traps\"}", "endpoint");
        sensor_is("{\"provider\":\"Palo Alto Networks\",\"subProvider\":null}", "endpoint");
        sensor_is("{\"provider\":\"Windows Defender ATP\",\"subProvider\":\"NGFW\"}", "endpoint");
        sensor_is("{\"provider\":\"Azure Security Center\",\"subProvider\":null}", "endpoint");
        sensor_is("[]", "endpoint");
        sensor_is("\"Palo Alto Networks\"", "endpoint");

        /* a missing confidence is a null one */
        {
                cJSON *s = legacy_map("ip", "1.2.3.4", "{\"eventDateTime\":\"t\"}");
                CU_ASSERT_STRING_EQUAL(str_at(s, "confidence"), "None");
                CU_ASSERT_STRING_EQUAL(str_at(s, "severity"), "Unknown");
                cJSON_Delete(s);
        }
}

static void test_legacy_targets_relations(void)
{
        cJSON *s, *want;

        /* only non-empty strings make target observables, private before public */
        s = legacy_map("hostname", "h",
                       "{\"eventDateTime\":\"T\",\"hostStates\":["
                       "{\"fqdn\":\"h.example\",\"netBiosName\":\"\",\"privateIpAddress\":null,\"publicIpAddress\":\"1.1.1.1\"},"
                       "{\"publicIpAddress\":5,\"privateIpAddress\":\"10.0.0.1\"},"
                       "{},\"junk\",7,null],"
                       "\"networkConnections\":["
                       "{\"sourceAddress\":\"\",\"destinationDomain\":\"\"},"
                       "{\"sourceAddress\":\"10.0.0.1\",\"destinationDomain\":null},"
                       "{\"sourceAddress\":\"10.0.0.1\"},"
                       "{\"sourceAddress\":3,\"destinationDomain\":\"d\"},"
                       "{\"sourceAddress\":\"10.0.0.2\",\"destinationDomain\":\"evil.example\"},\"x\"],"
                       "\"fileStates\":[{\"name\":\"n\",\"fileHash\":{\"hashValue\":\"h\"}}]}");
        want = parse("["
                     "{\"type\":\"endpoint\",\"observables\":[{\"type\":\"ip\",\"value\":\"1.1.1.1\"},"
                     "{\"type\":\"domain\",\"value\":\"h.example\"}],\"observed_time\":{\"start_time\":\"T\",\"end_time\":\"T\"}},"
                     "{\"type\":\"endpoint\",\"observables\":[{\"type\":\"ip\",\"value\":\"10.0.0.1\"}],"
                     "\"observed_time\":{\"start_time\":\"T\",\"end_time\":\"T\"}},"
                     "{\"type\":\"endpoint\",\"observables\":[],\"observed_time\":{\"start_time\":\"T\",\"end_time\":\"T\"}}]");
        json_equal("targets", cJSON_GetObjectItem(s, "targets"), want);
        cJSON_Delete(want);
        /* network type: connections only, empty strings pass; origin falls back */
        want = parse("["
                     "{\"origin\":\"Microsoft Graph Security\",\"relation\":\"Connected_To\","
                     "\"source\":{\"type\":\"ip\",\"value\":\"\"},\"related\":{\"type\":\"domain\",\"value\":\"\"}},"
                     "{\"origin\":\"Microsoft Graph Security\",\"relation\":\"Connected_To\","
                     "\"source\":{\"type\":\"ip\",\"value\":\"10.0.0.2\"},\"related\":{\"type\":\"domain\",\"value\":\"evil.example\"}}]");
        json_equal("network relations", cJSON_GetObjectItem(s, "relations"), want);
        cJSON_Delete(want);
        /* no id, no title: left out, not null */
        CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(s, "title"));
        CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(s, "description"));
        CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(s, "external_ids")), 0);
        cJSON_Delete(s);

        /* file types: every File_Name_Of, then every File_Path_Of, any hash type */
        s = legacy_map("file_name", "a.exe",
                       "{\"eventDateTime\":\"T\",\"vendorInformation\":{\"provider\":\"P\"},"
                       "\"sourceMaterials\":[\"https://x/1\",5,null,\"https://x/2\"],"
                       "\"networkConnections\":[{\"sourceAddress\":\"1.1.1.1\",\"destinationDomain\":\"d\"}],"
                       "\"fileStates\":["
                       "{\"name\":\"a.exe\",\"path\":\"C:\\\\a.exe\",\"fileHash\":{\"hashType\":\"md5\",\"hashValue\":\"m5\"}},"
                       "{\"name\":\"b.exe\",\"path\":null,\"fileHash\":{\"hashValue\":\"h2\"}},"
                       "{\"name\":\"c.exe\",\"path\":\"/c\",\"fileHash\":null},"
                       "{\"name\":\"d.exe\",\"path\":\"/d\",\"fileHash\":{\"hashValue\":null}},"
                       "{\"name\":\"e.exe\",\"fileHash\":\"notanobject\"},"
                       "{\"path\":\"/f\",\"fileHash\":{\"hashValue\":\"h6\"}}]}");
        want = parse("["
                     "{\"origin\":\"P\",\"relation\":\"File_Name_Of\",\"source\":{\"type\":\"file_name\",\"value\":\"a.exe\"},"
                     "\"related\":{\"type\":\"sha256\",\"value\":\"m5\"}},"
                     "{\"origin\":\"P\",\"relation\":\"File_Name_Of\",\"source\":{\"type\":\"file_name\",\"value\":\"b.exe\"},"
                     "\"related\":{\"type\":\"sha256\",\"value\":\"h2\"}},"
                     "{\"origin\":\"P\",\"relation\":\"File_Path_Of\",\"source\":{\"type\":\"file_path\",\"value\":\"C:\\\\a.exe\"},"
                     "\"related\":{\"type\":\"sha256\",\"value\":\"m5\"}},"
                     "{\"origin\":\"P\",\"relation\":\"File_Path_Of\",\"source\":{\"type\":\"file_path\",\"value\":\"/f\"},"
                     "\"related\":{\"type\":\"sha256\",\"value\":\"h6\"}}]");
        json_equal("file relations", cJSON_GetObjectItem(s, "relations"), want);
        cJSON_Delete(want);
        want = parse("[{\"source_name\":\"P\",\"url\":\"https://x/1\"},{\"source_name\":\"P\",\"url\":\"https://x/2\"}]");
        json_equal("external references", cJSON_GetObjectItem(s, "external_references"), want);
        cJSON_Delete(want);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(s, "targets")), 0);
        cJSON_Delete(s);
}

/* Every field of every fixture replaced by each hostile value, or removed:
 * a sighting of the right shape, or -EBADMSG when the time is gone. */
static void mutate_and_map(const char *type, const char *value, const cJSON *input, cJSON *container,
                           const char *key, bool is_time)
{
        static const char *const hostile[] = { "null", "1", "-1e308", "\"\"", "\"x\"", "[]", "{}", "true",
                                               "[null,1,\"s\",[],{}]", "{\"a\":{\"b\":[]}}" };
        cJSON *saved = cJSON_DetachItemFromObjectCaseSensitive(container, key);

        CU_ASSERT_PTR_NOT_NULL_FATAL(saved);
        for (size_t h = 0; h <= N_ELEMENTS(hostile); h++) {
                MsgraphObservable t = msgraph_observable_from_string(type);
                cJSON *s = NULL;
                int r;

                if (h < N_ELEMENTS(hostile))
                        cJSON_AddItemToObject(container, key, parse(hostile[h]));
                r = msgraph_legacy_sighting(t, value, input, NULL, &s);
                if (is_time && !(h < N_ELEMENTS(hostile) && hostile[h][0] == '"')) {
                        CU_ASSERT_EQUAL(r, -EBADMSG);
                } else {
                        CU_ASSERT_EQUAL(r, 0);
                        if (r == 0)
                                check_sighting_shape(s, type, value);
                }
                cJSON_Delete(s);
                cJSON_DeleteItemFromObjectCaseSensitive(container, key);
        }
        cJSON_AddItemToObject(container, key, saved);
}

static void test_legacy_hostile_fields(void)
{
        for (size_t i = 0; i < N_ELEMENTS(fixtures); i++) {
                cJSON *f = parse(fixtures[i].json), *input = cJSON_GetObjectItem(f, "input"), *c, *item;
                const char *value = str_at(f, "observable");
                size_t nkeys = (size_t) cJSON_GetArraySize(input);
                _cleanup_free_ char **keys = xnew(char *, nkeys);
                size_t k = 0;

                /* keys first: mutating detaches and re-adds them */
                cJSON_ArrayForEach(item, input)
                        keys[k++] = xstrdup(item->string);
                for (k = 0; k < nkeys; k++) {
                        mutate_and_map(fixtures[i].type, value, input, input, keys[k],
                                       strcmp(keys[k], "eventDateTime") == 0);
                        free(keys[k]);
                }
                /* one level down: the objects the mapping reads */
                c = cJSON_GetObjectItem(input, "vendorInformation");
                if (cJSON_IsObject(c)) {
                        mutate_and_map(fixtures[i].type, value, input, c, "provider", false);
                        mutate_and_map(fixtures[i].type, value, input, c, "subProvider", false);
                }
                static const char *const lists[] = { "hostStates", "fileStates", "networkConnections" };
                for (size_t l = 0; l < N_ELEMENTS(lists); l++) {
                        cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(input, lists[l]), 0);
                        if (!cJSON_IsObject(e))
                                continue;
                        size_t ne = (size_t) cJSON_GetArraySize(e), m = 0;
                        char **ek = xnew(char *, ne);
                        cJSON_ArrayForEach(item, e)
                                ek[m++] = xstrdup(item->string);
                        for (m = 0; m < ne; m++) {
                                mutate_and_map(fixtures[i].type, value, input, e, ek[m], false);
                                free(ek[m]);
                        }
                        free(ek);
                }
                cJSON_Delete(f);
        }
}

/* Keys read as Python's dict does: the last of duplicates wins. */
static void test_legacy_duplicate_keys(void)
{
        cJSON *s = legacy_map("ip", "1.2.3.4",
                              "{\"eventDateTime\":\"A\",\"eventDateTime\":\"B\",\"severity\":\"high\","
                              "\"severity\":\"low\",\"title\":\"one\",\"title\":\"two\"}");

        CU_ASSERT_STRING_EQUAL(str_at(s, "timestamp"), "B");
        CU_ASSERT_STRING_EQUAL(str_at(s, "severity"), "Low");
        CU_ASSERT_STRING_EQUAL(str_at(s, "title"), "two");
        cJSON_Delete(s);
}

static void test_legacy_invalid(void)
{
        cJSON *alert = parse("{\"eventDateTime\":\"T\"}"), *bad = parse("[1]"), *s = NULL, *out = NULL;
        cJSON *resp;
        size_t skipped = 99;

        CU_ASSERT_EQUAL(msgraph_legacy_sighting(_MSGRAPH_OBSERVABLE_MAX, "v", alert, NULL, &s), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_legacy_sighting(_MSGRAPH_OBSERVABLE_INVALID, "v", alert, NULL, &s), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_legacy_sighting(MSGRAPH_IP, NULL, alert, NULL, &s), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_legacy_sighting(MSGRAPH_IP, "v", NULL, NULL, &s), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_legacy_sighting(MSGRAPH_IP, "v", bad, NULL, &s), -EINVAL);
        CU_ASSERT_PTR_NULL(s);

        CU_ASSERT_EQUAL(msgraph_legacy_sightings(MSGRAPH_IP, "v", bad, 10, NULL, &out, NULL), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_legacy_sightings(MSGRAPH_IP, "v", NULL, 10, NULL, &out, NULL), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_legacy_sightings(MSGRAPH_IP, "v", alert, 0, NULL, &out, NULL), -EINVAL);
        CU_ASSERT_PTR_NULL(out);

        /* no "value", or not a list: no alerts */
        CU_ASSERT_EQUAL(msgraph_legacy_sightings(MSGRAPH_IP, "v", alert, 10, NULL, &out, &skipped), 0);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(out), 0);
        CU_ASSERT_EQUAL(skipped, 0);
        cJSON_Delete(out);
        resp = parse("{\"value\":{\"a\":1}}");
        CU_ASSERT_EQUAL(msgraph_legacy_sightings(MSGRAPH_IP, "v", resp, 10, NULL, &out, NULL), 0);
        CU_ASSERT_TRUE(cJSON_IsArray(out) && cJSON_GetArraySize(out) == 0);
        cJSON_Delete(out);
        cJSON_Delete(resp);

        /* items that give no sighting are skipped and counted */
        resp = parse("{\"value\":[1,\"x\",null,{},{\"eventDateTime\":null},{\"eventDateTime\":\"T\"},[],"
                     "{\"eventDateTime\":5},{\"eventDateTime\":\"U\"}]}");
        CU_ASSERT_EQUAL(msgraph_legacy_sightings(MSGRAPH_SHA256, "v", resp, 10, NULL, &out, &skipped), 0);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(out), 2);
        CU_ASSERT_EQUAL(skipped, 7);
        cJSON_Delete(out);
        cJSON_Delete(resp);

        cJSON_Delete(alert);
        cJSON_Delete(bad);
}

/* --- CTR_ENTITIES_LIMIT ---------------------------------------------------------------------- */

/* The claim, through ctim_entities_limit() (§5), to the legacy $top, the
 * hunting take and the number of sightings. */
static void limit_is(const char *claim_json, int64_t want)
{
        cJSON *c = claim_json ? parse(claim_json) : NULL;
        int64_t limit = ctim_entities_limit(c);
        _cleanup_free_ char *path = NULL, *q = NULL;
        _cleanup_free_ char *top = xasprintf("&$top=%" PRId64, want < MSGRAPH_LEGACY_TOP_MAX ? want : MSGRAPH_LEGACY_TOP_MAX);
        _cleanup_free_ char *take = xasprintf("\n| where Rank <= %" PRId64 "\n| project-away Rank",
                                              want < MSGRAPH_HUNTING_TAKE_MAX ? want : MSGRAPH_HUNTING_TAKE_MAX);

        if (limit != want)
                printf("# limit %s: got %" PRId64 ", want %" PRId64 "\n", claim_json ? claim_json : "(absent)", limit, want);
        CU_ASSERT_EQUAL(limit, want);
        CU_ASSERT_EQUAL_FATAL(msgraph_legacy_alerts_path(MSGRAPH_IP, "1.2.3.4", limit, &path), 0);
        CU_ASSERT_TRUE(strlen(path) > strlen(top) && strcmp(path + strlen(path) - strlen(top), top) == 0);
        CU_ASSERT_EQUAL_FATAL(msgraph_hunting_query(ITEM(MSGRAPH_IP, "1.2.3.4"), 1, limit, &q), 0);
        CU_ASSERT_TRUE(strlen(q) > strlen(take) && strcmp(q + strlen(q) - strlen(take), take) == 0);
        cJSON_Delete(c);
}

static void test_limit_claim(void)
{
        limit_is(NULL, 100);
        limit_is("null", 100);                  /* upstream: a misleading auth error (§9 row 6) */
        limit_is("20", 20);
        limit_is("1", 1);
        limit_is("20.7", 20);
        limit_is("0.5", 100);
        limit_is("0", 100);
        limit_is("-5", 100);
        limit_is("true", 1);
        limit_is("false", 100);
        limit_is("\"20\"", 20);
        limit_is("\" 7 \"", 7);
        limit_is("\"1_000\"", 1000);
        limit_is("\"1__0\"", 100);
        limit_is("\"20.7\"", 100);
        limit_is("\"\"", 100);
        limit_is("\"abc\"", 100);
        limit_is("\"007\"", 7);
        limit_is("[]", 100);
        limit_is("{}", 100);
        limit_is("999", 999);
        limit_is("1000", 1000);
        limit_is("1001", 1001);
        limit_is("10001", 10001);
        limit_is("2147483648", INT64_C(2147483648));
        limit_is("1e300", INT64_MAX);
        limit_is("\"99999999999999999999999\"", INT64_MAX);
}

/* The limit caps the sightings (§9 row 28); below 1 it is refused. */
static void test_limit_use(void)
{
        cJSON *f = parse(fixtures[0].json), *resp = cJSON_CreateObject(), *list = cJSON_CreateArray(), *out = NULL;
        char *p = NULL;

        CU_ASSERT_EQUAL(msgraph_legacy_alerts_path(MSGRAPH_IP, "1.2.3.4", 0, &p), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_legacy_alerts_path(MSGRAPH_IP, "1.2.3.4", -1, &p), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_legacy_alerts_path(MSGRAPH_IP, "1.2.3.4", INT64_MIN, &p), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_query(ITEM(MSGRAPH_IP, "1.2.3.4"), 1, 0, &p), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_query(ITEM(MSGRAPH_IP, "1.2.3.4"), 1, -7, &p), -EINVAL);
        CU_ASSERT_PTR_NULL(p);
        /* a value no KQL literal can hold, second of two: the error, no query */
        {
                const MsgraphHuntingItem two[] = { { MSGRAPH_IP, "1.2.3.4" }, { MSGRAPH_DOMAIN, "a\x7f" } },
                                         empty[] = { { MSGRAPH_IP, "1.2.3.4" }, { MSGRAPH_DOMAIN, "" } };

                CU_ASSERT_EQUAL(msgraph_hunting_query(two, 2, 10, &p), -EILSEQ);
                CU_ASSERT_EQUAL(msgraph_hunting_query(empty, 2, 10, &p), -EINVAL);
                CU_ASSERT_PTR_NULL(p);
        }

        /* more alerts than the limit (Microsoft applies $top per provider): cut */
        for (int i = 0; i < 5; i++)
                cJSON_AddItemToArray(list, cJSON_Duplicate(cJSON_GetObjectItem(f, "input"), true));
        cJSON_AddItemToObject(resp, "value", list);
        for (int64_t limit = 1; limit <= 7; limit++) {
                CU_ASSERT_EQUAL_FATAL(msgraph_legacy_sightings(MSGRAPH_DOMAIN, "d", resp, limit, NULL, &out, NULL), 0);
                CU_ASSERT_EQUAL(cJSON_GetArraySize(out), limit < 5 ? (int) limit : 5);
                cJSON_Delete(out);
        }
        CU_ASSERT_EQUAL_FATAL(msgraph_legacy_sightings(MSGRAPH_DOMAIN, "d", resp, INT64_MAX, NULL, &out, NULL), 0);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(out), 5);
        cJSON_Delete(out);
        out = NULL;
        CU_ASSERT_EQUAL(msgraph_legacy_sightings(MSGRAPH_DOMAIN, "d", resp, -1, NULL, &out, NULL), -EINVAL);
        CU_ASSERT_PTR_NULL(out);
        /* the claim, end to end */
        {
                cJSON *claim = parse("\"2\"");
                CU_ASSERT_EQUAL_FATAL(msgraph_legacy_sightings(MSGRAPH_DOMAIN, "d", resp, ctim_entities_limit(claim),
                                                               NULL, &out, NULL), 0);
                CU_ASSERT_EQUAL(cJSON_GetArraySize(out), 2);
                cJSON_Delete(out);
                cJSON_Delete(claim);
        }
        cJSON_Delete(resp);
        cJSON_Delete(f);
}

/* Ids come from the randomness given. */
static void fill_zero(void *userdata, void *buf, size_t n)
{
        (*(unsigned *) userdata)++;
        memset(buf, 0, n);
}

static void test_injected_random(void)
{
        unsigned calls = 0;
        const CtimRandom zero = { .fill = fill_zero, .userdata = &calls };
        cJSON *f = parse(fixtures[0].json), *s = NULL, *row = parse("{\"Timestamp\":\"T\"}");

        CU_ASSERT_EQUAL_FATAL(msgraph_legacy_sighting(MSGRAPH_DOMAIN, "www.febrikam.com", cJSON_GetObjectItem(f, "input"),
                                                      &zero, &s), 0);
        CU_ASSERT_STRING_EQUAL(str_at(s, "id"), "transient:sighting-00000000-0000-4000-8000-000000000000");
        cJSON_Delete(s);
        CU_ASSERT_EQUAL_FATAL(msgraph_hunting_sighting(MSGRAPH_IP, "1.2.3.4", row, NULL, &zero, &s), 0);
        CU_ASSERT_STRING_EQUAL(str_at(s, "id"), "transient:sighting-00000000-0000-4000-8000-000000000000");
        cJSON_Delete(s);
        CU_ASSERT_EQUAL(calls, 2);
        cJSON_Delete(row);
        cJSON_Delete(f);
}

/* --- legacy filters ----------------------------------------------------------------------------- */

static void filter_is(const char *type, const char *value, const char *want)
{
        char *f = NULL;

        CU_ASSERT_EQUAL_FATAL(msgraph_legacy_filter(msgraph_observable_from_string(type), value, &f), 0);
        if (strcmp(f, want) != 0)
                printf("# filter %s '%s':\n#  got  %s\n#  want %s\n", type, value, f, want);
        CU_ASSERT_STRING_EQUAL(f, want);
        free(f);
}

/* The strings the upstream tests assert (relays.md §7.3), as Microsoft
 * decodes them. */
static void test_legacy_filters_upstream(void)
{
        filter_is("domain", "danger.com", "networkConnections/any(x: x/destinationDomain eq 'danger.com')");
        filter_is("file_name", "danger.exe", "fileStates/any(x: x/name eq 'danger.exe')");
        filter_is("file_path", "c://danger.exe", "fileStates/any(x: x/path eq 'c://danger.exe')");
        filter_is("sha256", "deadbeef", "fileStates/any(x: x/fileHash/hashValue eq 'deadbeef')");
        filter_is("ip", "127.0.0.1",
                  "networkConnections/any(x: x/sourceAddress eq '127.0.0.1' or x/destinationAddress eq '127.0.0.1')");
        /* upstream wrote 'http%3A%2F%2Fdanger.com' and let Microsoft decode it once */
        filter_is("url", "http://danger.com", "networkConnections/any(x: x/destinationUrl eq 'http://danger.com')");
        filter_is("hostname", "danger", "hostStates/any(x: x/netBiosName eq 'danger')");
        /* OData quoting (§9 row 27) */
        filter_is("hostname", "O'Brien", "hostStates/any(x: x/netBiosName eq 'O''Brien')");
        filter_is("file_name", "'", "fileStates/any(x: x/name eq '''')");
        filter_is("file_name", "''", "fileStates/any(x: x/name eq '''''')");
        filter_is("file_path", "C:\\Windows\\SYSTEM32\\ntdll.dll",
                  "fileStates/any(x: x/path eq 'C:\\Windows\\SYSTEM32\\ntdll.dll')");
}

static void test_legacy_path_exact(void)
{
        char *p = NULL;

        CU_ASSERT_EQUAL_FATAL(msgraph_legacy_alerts_path(MSGRAPH_DOMAIN, "danger.com", 100, &p), 0);
        CU_ASSERT_STRING_EQUAL(p, "/security/alerts?$filter=networkConnections%2Fany%28x%3A%20x%2F"
                                  "destinationDomain%20eq%20%27danger.com%27%29&$top=100");
        free(p);
        CU_ASSERT_EQUAL_FATAL(msgraph_legacy_alerts_path(MSGRAPH_URL, "http://a.b/c?d=1&e=2#f", 5, &p), 0);
        CU_ASSERT_STRING_EQUAL(p, "/security/alerts?$filter=networkConnections%2Fany%28x%3A%20x%2F"
                                  "destinationUrl%20eq%20%27http%3A%2F%2Fa.b%2Fc%3Fd%3D1%26e%3D2%23f%27%29&$top=5");
        free(p);
        CU_ASSERT_STRING_EQUAL(MSGRAPH_LEGACY_HEALTH_PATH, "/security/alerts?$top=0");
}

/* Reads the literals of a decoded filter: each '...' with '' undoubled. */
static size_t odata_literals(const char *f, char **out, size_t max)
{
        size_t n = 0;

        for (const char *p = f; *p;) {
                if (*p != '\'') {
                        p++;
                        continue;
                }
                char *lit = xmalloc(strlen(p) + 1), *o = lit;
                for (p++;; p++) {
                        if (*p == '\0') {
                                free(lit);
                                return SIZE_MAX;        /* unterminated */
                        }
                        if (*p == '\'') {
                                if (p[1] == '\'') {
                                        *o++ = '\'';
                                        p++;
                                        continue;
                                }
                                p++;
                                break;
                        }
                        *o++ = *p;
                }
                *o = '\0';
                if (n < max)
                        out[n++] = lit;
                else
                        free(lit);
        }
        return n;
}

static const char *const hostile_values[] = {
        "O'Brien",
        "'",
        "''",
        "' or 1 eq 1 or 'a' eq '",
        "a') or (x: x/name eq 'b",
        "100%",
        "%27%20or%20",
        "a&$top=100000&$filter=true",
        "a#fragment",
        "a+b c",
        "a/b\\c",
        "x?y=z",
        "\xc3\xbc\xe6\x97\xa5\xe6\x9c\xac\xf0\x9f\x98\x80",   /* ü日本😀 */
        "tab\there",
        "new\nline",
        "cr\rlf",
        "\x01\x02\x1f\x7f",
        "\"double\"",
        "$top=1",
        "http://danger.com/a b?c='d'&e=%41#g",
};

/* Takes the filter out of a path and checks it is fully encoded. */
static char *filter_of_path(const char *path, unsigned top)
{
        static const char head[] = "/security/alerts?$filter=";
        _cleanup_free_ char *tail = xasprintf("&$top=%u", top);
        size_t n = strlen(path), hn = strlen(head), tn = strlen(tail);

        CU_ASSERT_FATAL(n > hn + tn);
        CU_ASSERT_EQUAL_FATAL(strncmp(path, head, hn), 0);
        CU_ASSERT_STRING_EQUAL_FATAL(path + n - tn, tail);
        for (size_t i = hn; i < n - tn; i++) {
                char c = path[i];
                bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                          strchr("-._~%", c);
                if (!ok)
                        printf("# unencoded %#x in %s\n", (unsigned) (unsigned char) c, path);
                CU_ASSERT_TRUE(ok);
        }
        return pct_decode(path + hn, n - tn - hn);
}

static void test_legacy_hostile_values(void)
{
        for (MsgraphObservable t = 0; t < _MSGRAPH_OBSERVABLE_MAX; t++)
                for (size_t i = 0; i < N_ELEMENTS(hostile_values); i++) {
                        const char *v = hostile_values[i];
                        _cleanup_free_ char *f = NULL, *path = NULL, *decoded = NULL;
                        char *lits[4];
                        size_t n;

                        CU_ASSERT_EQUAL_FATAL(msgraph_legacy_filter(t, v, &f), 0);
                        CU_ASSERT_EQUAL_FATAL(msgraph_legacy_alerts_path(t, v, 7, &path), 0);
                        decoded = filter_of_path(path, 7);
                        /* the wire decodes to the filter exactly */
                        CU_ASSERT_STRING_EQUAL(decoded, f);
                        /* and the filter holds the value as its only literal(s) */
                        n = odata_literals(f, lits, N_ELEMENTS(lits));
                        CU_ASSERT_EQUAL_FATAL(n, t == MSGRAPH_IP ? 2u : 1u);
                        for (size_t k = 0; k < n; k++) {
                                CU_ASSERT_STRING_EQUAL(lits[k], v);
                                free(lits[k]);
                        }
                }
}

static void test_legacy_filter_invalid(void)
{
        char *f = NULL;

        CU_ASSERT_EQUAL(msgraph_legacy_filter(_MSGRAPH_OBSERVABLE_MAX, "v", &f), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_legacy_filter(_MSGRAPH_OBSERVABLE_INVALID, "v", &f), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_legacy_filter((MsgraphObservable) 1000, "v", &f), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_legacy_filter(MSGRAPH_IP, NULL, &f), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_legacy_filter(MSGRAPH_IP, "", &f), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_legacy_filter(MSGRAPH_IP, "\xff", &f), -EILSEQ);
        CU_ASSERT_EQUAL(msgraph_legacy_filter(MSGRAPH_IP, "a\xc3", &f), -EILSEQ);
        CU_ASSERT_EQUAL(msgraph_legacy_filter(MSGRAPH_IP, "\xc0\xaf", &f), -EILSEQ);      /* overlong '/' */
        CU_ASSERT_EQUAL(msgraph_legacy_filter(MSGRAPH_IP, "\xe0\x80\xa7", &f), -EILSEQ);  /* overlong '\'' */
        CU_ASSERT_EQUAL(msgraph_legacy_filter(MSGRAPH_IP, "\xed\xa0\x80", &f), -EILSEQ);  /* surrogate */
        CU_ASSERT_EQUAL(msgraph_legacy_filter(MSGRAPH_IP, "\xf4\x90\x80\x80", &f), -EILSEQ);
        CU_ASSERT_PTR_NULL(f);
        CU_ASSERT_EQUAL(msgraph_legacy_alerts_path(MSGRAPH_IP, "\xff", 10, &f), -EILSEQ);
        CU_ASSERT_EQUAL(msgraph_legacy_alerts_path(_MSGRAPH_OBSERVABLE_MAX, "v", 10, &f), -EINVAL);
        CU_ASSERT_PTR_NULL(f);
}

/* --- KQL --------------------------------------------------------------------------------------- */

static void literal_is(const char *value, const char *want)
{
        char *l = NULL;

        CU_ASSERT_EQUAL_FATAL(msgraph_kql_string_literal(value, &l), 0);
        CU_ASSERT_STRING_EQUAL(l, want);
        free(l);
}

static void test_kql_literal(void)
{
        char *l = NULL;

        literal_is("", "\"\"");
        literal_is("abc", "\"abc\"");
        literal_is("a\"b", "\"a\\\"b\"");
        literal_is("a'b", "\"a'b\"");
        literal_is("a\\b", "\"a\\\\b\"");
        literal_is("\\", "\"\\\\\"");
        literal_is("\\\"", "\"\\\\\\\"\"");
        literal_is("a\tb\nc", "\"a\\tb\\nc\"");
        literal_is("@\"x\"", "\"@\\\"x\\\"\"");
        literal_is("```", "\"```\"");
        literal_is("\xc3\xbc\xe6\x97\xa5", "\"\xc3\xbc\xe6\x97\xa5\"");
        CU_ASSERT_EQUAL(msgraph_kql_string_literal("a\rb", &l), -EILSEQ);
        CU_ASSERT_EQUAL(msgraph_kql_string_literal("\x01", &l), -EILSEQ);
        CU_ASSERT_EQUAL(msgraph_kql_string_literal("\x1f", &l), -EILSEQ);
        CU_ASSERT_EQUAL(msgraph_kql_string_literal("\x7f", &l), -EILSEQ);
        CU_ASSERT_EQUAL(msgraph_kql_string_literal("\xff", &l), -EILSEQ);
        CU_ASSERT_EQUAL(msgraph_kql_string_literal("\xed\xbf\xbf", &l), -EILSEQ);
        CU_ASSERT_EQUAL(msgraph_kql_string_literal(NULL, &l), -EINVAL);
        CU_ASSERT_PTR_NULL(l);
}

/* A query as Kusto tokenizes its string literals: the text outside them
 * (each literal replaced by "<>") and the decoded literals.  ok is false
 * on anything our queries never contain (verbatim or multi-line literals,
 * unknown escapes, an unterminated literal). */
typedef struct KqlScan {
        Buf skeleton;
        char *lits[64];
        size_t n;
        bool ok;
} KqlScan;

static void kql_scan(const char *q, KqlScan *k)
{
        *k = (KqlScan) { .ok = true };

        for (const char *p = q; *p;) {
                char quote;
                Buf lit = { 0 };

                if (strncmp(p, "```", 3) == 0 || ((*p == '@' || *p == 'h' || *p == 'H') && (p[1] == '"' || p[1] == '\''))) {
                        k->ok = false;
                        return;
                }
                if (*p != '"' && *p != '\'') {
                        buf_putc(&k->skeleton, *p++);
                        continue;
                }
                quote = *p++;
                for (;; p++) {
                        if (*p == '\0' || *p == '\n' || *p == '\r') {
                                buf_done(&lit);
                                k->ok = false;
                                return;
                        }
                        if (*p == quote)
                                break;
                        if (*p == '\\') {
                                p++;
                                switch (*p) {
                                case '\\': case '"': case '\'':
                                        buf_putc(&lit, *p);
                                        break;
                                case 't':
                                        buf_putc(&lit, '\t');
                                        break;
                                case 'n':
                                        buf_putc(&lit, '\n');
                                        break;
                                default:
                                        buf_done(&lit);
                                        k->ok = false;
                                        return;
                                }
                                continue;
                        }
                        buf_putc(&lit, *p);
                }
                p++;
                buf_puts(&k->skeleton, "<>");
                if (k->n >= N_ELEMENTS(k->lits)) {
                        buf_done(&lit);
                        k->ok = false;
                        return;
                }
                k->lits[k->n++] = buf_steal(&lit);
        }
}

static void kql_scan_done(KqlScan *k)
{
        buf_done(&k->skeleton);
        for (size_t i = 0; i < k->n; i++)
                free(k->lits[i]);
}

static const char *const hostile_kql[] = {
        "\" | take 1000000 //",
        "x\" or 1==1 or \"",
        "\\\" or true //",
        "\\",
        "x\\",
        "\\\\\"",
        "'",
        "' or '1'=='1",
        "@\"x\"",
        "h\"secret\"",
        "```",
        "a\nb | evaluate bag_unpack(x)",
        "a\tb",
        "x\"; AlertInfo | where true; let y=\"",
        "\\u0022",
        "\\x22",
        "// comment",
        "/* c */",
        "\xc3\xbc\xe6\x97\xa5\xe6\x9c\xac\xf0\x9f\x98\x80",
        "x\" | project Secret=1 | union (DeviceInfo) | where \"\"==\"",
        "C:\\Windows\\SYSTEM32\\ntdll.dll",
        "http://willaimsclarke.com/lee/fre.php?a='1'&b=\"2\"",
};

/* One observable of each type, in this order, valued "x0" ... "x6", except
 * position p (when < 7), valued v. */
static void kql_items(MsgraphHuntingItem items[_MSGRAPH_OBSERVABLE_MAX], char names[][8], size_t p, const char *v)
{
        static const MsgraphObservable order[_MSGRAPH_OBSERVABLE_MAX] = {
                MSGRAPH_FILE_PATH, MSGRAPH_DOMAIN, MSGRAPH_IP, MSGRAPH_HOSTNAME,
                MSGRAPH_SHA256, MSGRAPH_URL, MSGRAPH_FILE_NAME,
        };

        for (size_t i = 0; i < _MSGRAPH_OBSERVABLE_MAX; i++) {
                snprintf(names[i], 8, "x%zu", i);
                items[i] = (MsgraphHuntingItem) { order[i], i == p ? v : names[i] };
        }
}

/* The values stay inside their literals: for every hostile value in every
 * position of a query over one observable of each type, the query has the
 * same structure as with harmless values, the literals that held that
 * position's value now hold the hostile one, and every other literal is
 * unchanged.  The same holds for each type alone. */
static void test_kql_injection(void)
{
        static const char *const suffixes[] = { "", ".", "/", ":" };
        MsgraphHuntingItem items[_MSGRAPH_OBSERVABLE_MAX];
        char names[_MSGRAPH_OBSERVABLE_MAX][8];
        _cleanup_free_ char *benign_q = NULL;
        size_t checked = 0;
        KqlScan benign;

        kql_items(items, names, SIZE_MAX, NULL);
        CU_ASSERT_EQUAL_FATAL(msgraph_hunting_query(items, N_ELEMENTS(items), 100, &benign_q), 0);
        kql_scan(benign_q, &benign);
        CU_ASSERT_TRUE_FATAL(benign.ok);
        for (size_t n = 1; n <= N_ELEMENTS(items); n += N_ELEMENTS(items) - 1)
                for (size_t pos = 0; pos < N_ELEMENTS(items); pos++) {
                        _cleanup_free_ char *bq = NULL;
                        KqlScan b;

                        /* n == 1: the type at pos alone; else all seven */
                        CU_ASSERT_EQUAL_FATAL(msgraph_hunting_query(n == 1 ? &items[pos] : items, n, 100, &bq), 0);
                        kql_scan(bq, &b);
                        CU_ASSERT_TRUE_FATAL(b.ok);
                        for (size_t i = 0; i < N_ELEMENTS(hostile_kql); i++) {
                                const char *v = hostile_kql[i];
                                MsgraphHuntingItem hi[_MSGRAPH_OBSERVABLE_MAX];
                                char hn[_MSGRAPH_OBSERVABLE_MAX][8];
                                _cleanup_free_ char *q = NULL;
                                size_t holding = 0;
                                KqlScan k;

                                kql_items(hi, hn, pos, v);
                                CU_ASSERT_EQUAL_FATAL(msgraph_hunting_query(n == 1 ? &hi[pos] : hi, n, 100, &q), 0);
                                kql_scan(q, &k);
                                CU_ASSERT_TRUE(k.ok);
                                CU_ASSERT_STRING_EQUAL(k.skeleton.p, b.skeleton.p);
                                CU_ASSERT_EQUAL_FATAL(k.n, b.n);
                                for (size_t l = 0; l < k.n; l++) {
                                        bool was_value = false;
                                        for (size_t sfx = 0; sfx < N_ELEMENTS(suffixes); sfx++) {
                                                _cleanup_free_ char *bx = xasprintf("%s%s", names[pos], suffixes[sfx]);
                                                _cleanup_free_ char *vx = xasprintf("%s%s", v, suffixes[sfx]);
                                                if (strcmp(b.lits[l], bx) == 0) {
                                                        CU_ASSERT_STRING_EQUAL(k.lits[l], vx);
                                                        was_value = true;
                                                        holding++;
                                                }
                                        }
                                        if (!was_value) {
                                                CU_ASSERT_STRING_EQUAL(k.lits[l], b.lits[l]);
                                        }
                                }
                                CU_ASSERT_TRUE(holding >= 1);
                                kql_scan_done(&k);
                                checked++;
                        }
                        kql_scan_done(&b);
                }
        CU_ASSERT_EQUAL(checked, 2 * N_ELEMENTS(items) * N_ELEMENTS(hostile_kql));
        /* the seven legs: each tagged with its position, the skeleton of the whole query fixed */
        for (size_t i = 0; i < N_ELEMENTS(items); i++) {
                _cleanup_free_ char *tag = xasprintf(" | distinct AlertId | extend Obs = %zu%s", i,
                                                     i + 1 < N_ELEMENTS(items) ? ")," : "));");
                CU_ASSERT_PTR_NOT_NULL(strstr(benign.skeleton.p, tag));
        }
        kql_scan_done(&benign);
}

/* The template around the hits, the same for one observable or many. */
static const char *const kql_must[] = {
        "let ids = hits | distinct AlertId;\nhits\n| join kind=inner (AlertInfo\n    | where AlertId in (ids)\n",
        "    | summarize arg_max(Timestamp, *) by AlertId\n",
        "    | join kind=leftouter (AlertEvidence\n        | where AlertId in (ids)\n",
        "    | project AlertId, Timestamp, FirstSeen, LastSeen, Title, Category, Severity, ServiceSource,"
        " DetectionSource, AttackTechniques, Devices, Files, Connections) on AlertId\n",
        "| project Obs, AlertId, Timestamp, FirstSeen, LastSeen, Title, Category, Severity, ServiceSource,"
        " DetectionSource, AttackTechniques, Devices, Files, Connections\n"
        "| order by Obs asc, Timestamp desc\n"
        "| extend Rank = row_number(1, prev(Obs) != Obs)\n"
        "| where Rank <= 100\n"
        "| project-away Rank",
};

static void test_kql_query_shape(void)
{
        static const struct {
                MsgraphObservable t;
                const char *predicate;
        } cases[] = {
                { MSGRAPH_DOMAIN, "RemoteUrl =~ \"evil.example\" or RemoteUrl startswith \"evil.example/\""
                                  " or RemoteUrl startswith \"evil.example:\""
                                  " or tostring(parse_url(RemoteUrl).Host) =~ \"evil.example\"" },
                { MSGRAPH_IP, "RemoteIP =~ \"evil.example\" or LocalIP =~ \"evil.example\"" },
                { MSGRAPH_URL, "RemoteUrl =~ \"evil.example\"" },
                { MSGRAPH_HOSTNAME, "DeviceName =~ \"evil.example\" or DeviceName startswith \"evil.example.\"" },
                { MSGRAPH_FILE_NAME, "FileName =~ \"evil.example\"" },
                { MSGRAPH_FILE_PATH, "FolderPath =~ \"evil.example\""
                                     " or strcat(FolderPath, \"\\\\\", FileName) =~ \"evil.example\""
                                     " or strcat(FolderPath, \"/\", FileName) =~ \"evil.example\"" },
                { MSGRAPH_SHA256, "SHA256 =~ \"evil.example\"" },
        };
        MsgraphHuntingItem all[N_ELEMENTS(cases)];
        _cleanup_free_ char *multi = NULL;
        char *q = NULL;
        Buf want = { 0 };

        CU_ASSERT_EQUAL(N_ELEMENTS(cases), _MSGRAPH_OBSERVABLE_MAX);
        for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
                /* one observable: its leg alone, no union */
                _cleanup_free_ char *head = xasprintf("let hits = materialize(AlertEvidence | where %s"
                                                      " | distinct AlertId | extend Obs = 0);\n",
                                                      cases[i].predicate);

                CU_ASSERT_EQUAL_FATAL(msgraph_hunting_query(ITEM(cases[i].t, "evil.example"), 1, 100, &q), 0);
                if (strncmp(q, head, strlen(head)) != 0)
                        printf("# query of %s:\n%s\n", msgraph_observable_to_string(cases[i].t), q);
                CU_ASSERT_EQUAL(strncmp(q, head, strlen(head)), 0);
                for (size_t m = 0; m < N_ELEMENTS(kql_must); m++)
                        CU_ASSERT_PTR_NOT_NULL(strstr(q, kql_must[m]));
                /* the value appears nowhere but in the predicate */
                CU_ASSERT_PTR_NULL(strstr(strstr(q, "let ids"), "evil"));
                free(q);
                q = NULL;
                all[i] = (MsgraphHuntingItem) { cases[i].t, "evil.example" };
        }

        /* several: a union of the legs, each tagged with its index, then the same template */
        buf_puts(&want, "let hits = materialize(union\n");
        for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
                _cleanup_free_ char *leg = xasprintf("    (AlertEvidence | where %s | distinct AlertId | extend Obs = %zu)%s",
                                                     cases[i].predicate, i, i + 1 < N_ELEMENTS(cases) ? ",\n" : ");\n");
                buf_puts(&want, leg);
        }
        CU_ASSERT_EQUAL_FATAL(msgraph_hunting_query(all, N_ELEMENTS(all), 100, &multi), 0);
        CU_ASSERT_EQUAL(strncmp(multi, want.p, want.n), 0);
        for (size_t m = 0; m < N_ELEMENTS(kql_must); m++)
                CU_ASSERT_PTR_NOT_NULL(strstr(multi, kql_must[m]));
        CU_ASSERT_PTR_NULL(strstr(strstr(multi, "let ids"), "evil"));
        buf_done(&want);

        CU_ASSERT_EQUAL(msgraph_hunting_query(ITEM(_MSGRAPH_OBSERVABLE_MAX, "v"), 1, 10, &q), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_query(ITEM(MSGRAPH_IP, NULL), 1, 10, &q), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_query(ITEM(MSGRAPH_IP, ""), 1, 10, &q), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_query(ITEM(MSGRAPH_IP, "a\rb"), 1, 10, &q), -EILSEQ);
        CU_ASSERT_EQUAL(msgraph_hunting_query(ITEM(MSGRAPH_IP, "a\x01"), 1, 10, &q), -EILSEQ);
        CU_ASSERT_EQUAL(msgraph_hunting_query(ITEM(MSGRAPH_IP, "\xc3\x28"), 1, 10, &q), -EILSEQ);
        CU_ASSERT_EQUAL(msgraph_hunting_query(ITEM(MSGRAPH_IP, "v"), 0, 10, &q), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_query(NULL, 1, 10, &q), -EINVAL);
        /* one bad value among good ones fails the whole query */
        all[3].value = "a\x7f";
        CU_ASSERT_EQUAL(msgraph_hunting_query(all, N_ELEMENTS(all), 10, &q), -EILSEQ);
        CU_ASSERT_PTR_NULL(q);
        CU_ASSERT_EQUAL(msgraph_hunting_check(MSGRAPH_URL, "http://x/"), 0);
        CU_ASSERT_EQUAL(msgraph_hunting_check(MSGRAPH_URL, "a\x7f"), -EILSEQ);
        CU_ASSERT_EQUAL(msgraph_hunting_check(MSGRAPH_URL, ""), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_check(MSGRAPH_URL, NULL), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_check(_MSGRAPH_OBSERVABLE_MAX, "v"), -EINVAL);
}

/* How many observables one query takes: the count cap, the rows cap over
 * the take, the text cap; never none. */
static void test_hunting_batch(void)
{
        MsgraphHuntingItem items[120];
        char *big = xmalloc(60 * 1024 + 1), *huge = xmalloc(200 * 1024 + 1);
        char *q = NULL;

        for (size_t i = 0; i < N_ELEMENTS(items); i++)
                items[i] = (MsgraphHuntingItem) { (MsgraphObservable) (i % _MSGRAPH_OBSERVABLE_MAX), "10.0.0.1" };
        CU_ASSERT_EQUAL(msgraph_hunting_batch(items, 0, 100), 0);
        CU_ASSERT_EQUAL(msgraph_hunting_batch(NULL, 5, 100), 0);
        CU_ASSERT_EQUAL(msgraph_hunting_batch(items, 1, 100), 1);
        CU_ASSERT_EQUAL(msgraph_hunting_batch(items, 10, 100), 10);
        CU_ASSERT_EQUAL(msgraph_hunting_batch(items, 120, 100), MSGRAPH_HUNTING_BATCH_MAX);
        CU_ASSERT_EQUAL(msgraph_hunting_batch(items, 120, 1), MSGRAPH_HUNTING_BATCH_MAX);
        /* every observable may fill its take within the 100,000 rows of one answer */
        CU_ASSERT_EQUAL(msgraph_hunting_batch(items, 120, 5000), 20);
        CU_ASSERT_EQUAL(msgraph_hunting_batch(items, 120, 10000), 10);
        CU_ASSERT_EQUAL(msgraph_hunting_batch(items, 120, INT64_MAX), 10);
        CU_ASSERT_EQUAL(msgraph_hunting_batch(items, 3, 10000), 3);
        CU_ASSERT_EQUAL(MSGRAPH_HUNTING_ROWS_MAX / MSGRAPH_HUNTING_TAKE_MAX, 10);

        /* the text: 60 kB values, one a query; a value over the cap alone still gets its own */
        memset(big, 'a', 60 * 1024);
        big[60 * 1024] = '\0';
        memset(huge, 'b', 200 * 1024);
        huge[200 * 1024] = '\0';
        for (size_t i = 0; i < 4; i++)
                items[i] = (MsgraphHuntingItem) { MSGRAPH_SHA256, big };
        CU_ASSERT_EQUAL(msgraph_hunting_batch(items, 4, 100), 1);
        items[0].value = "short";
        CU_ASSERT_EQUAL(msgraph_hunting_batch(items, 4, 100), 2);
        CU_ASSERT_EQUAL_FATAL(msgraph_hunting_query(items, 2, 100, &q), 0);
        CU_ASSERT_TRUE(strlen(q) <= MSGRAPH_HUNTING_QUERY_MAX);
        free(q);
        items[0].value = huge;
        CU_ASSERT_EQUAL(msgraph_hunting_batch(items, 4, 100), 1);
        /* 40 domains of 2 kB: the four literals of each put the cap near 12; exactly at the text cap */
        memset(big, 'd', 2048);
        big[2048] = '\0';
        for (size_t i = 0; i < 40; i++)
                items[i] = (MsgraphHuntingItem) { MSGRAPH_DOMAIN, big };
        {
                size_t k = msgraph_hunting_batch(items, 40, 100);
                CU_ASSERT_TRUE(k > 1 && k < 40);
                CU_ASSERT_EQUAL_FATAL(msgraph_hunting_query(items, k, 100, &q), 0);
                CU_ASSERT_TRUE(strlen(q) <= MSGRAPH_HUNTING_QUERY_MAX);
                free(q);
                CU_ASSERT_EQUAL_FATAL(msgraph_hunting_query(items, k + 1, 100, &q), 0);
                CU_ASSERT_TRUE(strlen(q) > MSGRAPH_HUNTING_QUERY_MAX);
                free(q);
        }
        free(big);
        free(huge);
}

static void test_kql_body(void)
{
        _cleanup_free_ char *q = NULL;
        MsgraphHuntingItem two[] = { { MSGRAPH_FILE_PATH, "C:\\a \"b\"\n" }, { MSGRAPH_IP, "1.2.3.4" } };
        char *b = NULL;
        cJSON *j;

        CU_ASSERT_EQUAL_FATAL(msgraph_hunting_query(two, 2, 50, &q), 0);
        CU_ASSERT_EQUAL_FATAL(msgraph_hunting_body(two, 2, 50, NULL, &b), 0);
        j = parse(b);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(j), 1);
        CU_ASSERT_STRING_EQUAL(str_at(j, "Query"), q);
        cJSON_Delete(j);
        free(b);

        CU_ASSERT_EQUAL_FATAL(msgraph_hunting_body(two, 2, 50, "P30D", &b), 0);
        j = parse(b);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(j), 2);
        CU_ASSERT_STRING_EQUAL(str_at(j, "Query"), q);
        CU_ASSERT_STRING_EQUAL(str_at(j, "Timespan"), "P30D");
        cJSON_Delete(j);
        free(b);
        b = NULL;

        CU_ASSERT_EQUAL(msgraph_hunting_body(ITEM(MSGRAPH_IP, "1.2.3.4"), 1, 5,
                                             "2024-02-01T08:00:00Z/2024-02-15T08:00:00Z", &b), 0);
        free(b);
        b = NULL;
        CU_ASSERT_EQUAL(msgraph_hunting_body(ITEM(MSGRAPH_IP, "1.2.3.4"), 1, 5, "", &b), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_body(ITEM(MSGRAPH_IP, "1.2.3.4"), 1, 5, "P30D\"", &b), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_body(ITEM(MSGRAPH_IP, "1.2.3.4"), 1, 5, "P 30D", &b), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_body(ITEM(MSGRAPH_IP, "1.2.3.4"), 1, 5, "P30D\n", &b), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_body(ITEM(MSGRAPH_IP, "\x01"), 1, 5, NULL, &b), -EILSEQ);
        CU_ASSERT_EQUAL(msgraph_hunting_body(ITEM(MSGRAPH_IP, "1.2.3.4"), 1, 0, NULL, &b), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_body(two, 0, 5, NULL, &b), -EINVAL);
        CU_ASSERT_PTR_NULL(b);
        CU_ASSERT_STRING_EQUAL(MSGRAPH_HUNTING_PATH, "/security/runHuntingQuery");
        j = parse(MSGRAPH_HUNTING_HEALTH_BODY);
        CU_ASSERT_STRING_EQUAL(str_at(j, "Query"), "AlertEvidence | take 0 | union (AlertInfo | take 0)");
        cJSON_Delete(j);
}

/* --- hunting rows -------------------------------------------------------------------------------- */

#define HUNTING_ROW                                                                                     \
        "{\"AlertId\":\"da637551227677560813_-961444813\","                                             \
        "\"Timestamp\":\"2024-03-26T09:39:50.7688641Z\","                                               \
        "\"FirstSeen\":\"2024-03-26T09:30:00Z\",\"LastSeen\":\"2024-03-26T09:39:00Z\","                 \
        "\"Title\":\"Suspicious PowerShell command line\",\"Category\":\"Execution\","                  \
        "\"Severity\":\"Medium\",\"ServiceSource\":\"Microsoft Defender for Endpoint\","                \
        "\"DetectionSource\":\"EDR\",\"AttackTechniques\":\"[\\\"PowerShell (T1059.001)\\\"]\","        \
        "\"Devices\":%s,\"Files\":%s,\"Connections\":%s}"

#define HUNTING_DEVICES                                                                                 \
        "[{\"DeviceName\":\"dt-aldom.contoso.com\",\"LocalIP\":\"10.8.198.18\"},"                       \
        "{\"DeviceName\":\"DT-ALDOM.contoso.com\",\"LocalIP\":\"172.16.33.115\"},"                      \
        "{\"DeviceName\":\"dt-aldom.contoso.com\",\"LocalIP\":\"10.8.198.18\"},"                        \
        "{\"DeviceName\":\"lap-pattif\",\"LocalIP\":\"\"},{\"DeviceName\":\"\"},{\"LocalIP\":\"9.9.9.9\"},5]"
#define HUNTING_FILES                                                                                   \
        "[{\"FileName\":\"photoview1sp.jpg\",\"FolderPath\":\"C:\\\\temp\",\"SHA1\":\"5f1e\","          \
        "\"SHA256\":\"0918\"},"                                                                         \
        "{\"FileName\":\"x.ps1\",\"FolderPath\":\"/tmp/\",\"SHA1\":\"aaaa\",\"SHA256\":\"\"},"          \
        "{\"FileName\":\"nohash\",\"FolderPath\":\"/x\"},"                                              \
        "{\"FileName\":\"ntdll.dll\",\"FolderPath\":\"C:\\\\Windows\\\\System32\\\\ntdll.dll\",\"SHA1\":\"bbbb\"}]"
#define HUNTING_CONNECTIONS                                                                             \
        "[{\"LocalIP\":\"10.8.198.18\",\"RemoteIP\":\"95.142.39.125\","                                 \
        "\"RemoteUrl\":\"http://willaimsclarke.com/lee/fre.php\"},"                                     \
        "{\"LocalIP\":\"\",\"RemoteIP\":\"1.2.3.4\",\"RemoteUrl\":\"\"},"                               \
        "{\"LocalIP\":\"10.8.198.18\",\"RemoteUrl\":\"www.febrikam.com\"},"                             \
        "{\"LocalIP\":\"10.8.198.18\",\"RemoteUrl\":\"www.febrikam.com\"}]"

#define HUNTING_TIME "\"observed_time\":{\"start_time\":\"2024-03-26T09:30:00Z\",\"end_time\":\"2024-03-26T09:39:00Z\"}"

#define HUNTING_COMMON(type, value)                                                                     \
        "\"type\":\"sighting\",\"schema_version\":\"1.0.12\",\"source\":\"Microsoft Graph Security\","  \
        "\"count\":1,\"title\":\"Suspicious PowerShell command line\","                                 \
        "\"description\":\"Category: Execution. Service source: Microsoft Defender for Endpoint. "      \
        "Detection source: EDR. MITRE ATT&CK: PowerShell (T1059.001).\","                              \
        "\"external_ids\":[\"da637551227677560813_-961444813\"],"                                       \
        "\"external_references\":[{\"source_name\":\"Microsoft Defender for Endpoint\","                \
        "\"url\":\"https://security.microsoft.com/alerts/da637551227677560813_-961444813?tid=t%201\"}],"\
        "\"observables\":[{\"type\":\"" type "\",\"value\":\"" value "\"}]," HUNTING_TIME ","           \
        "\"timestamp\":\"2024-03-26T09:39:50.7688641Z\",\"confidence\":\"None\",\"severity\":\"Medium\","\
        "\"sensor\":\"endpoint\","                                                                      \
        "\"targets\":[{\"type\":\"endpoint\",\"observables\":[{\"type\":\"ip\",\"value\":\"10.8.198.18\"},"\
        "{\"type\":\"ip\",\"value\":\"172.16.33.115\"},{\"type\":\"hostname\",\"value\":\"dt-aldom\"},"  \
        "{\"type\":\"domain\",\"value\":\"dt-aldom.contoso.com\"}]," HUNTING_TIME "},"                  \
        "{\"type\":\"endpoint\",\"observables\":[{\"type\":\"hostname\",\"value\":\"lap-pattif\"}],"    \
        HUNTING_TIME "}],"

#define REL(rel, st, sv, tt, tv)                                                                        \
        "{\"origin\":\"Microsoft Defender for Endpoint\",\"relation\":\"" rel "\","                     \
        "\"source\":{\"type\":\"" st "\",\"value\":\"" sv "\"},\"related\":{\"type\":\"" tt "\",\"value\":\"" tv "\"}}"

static const MsgraphPortal test_portal = { .url = MSGRAPH_PORTAL_DEFAULT, .tenant_id = "t 1" };

static cJSON *hunting_map(const char *type, const char *value, const char *row_json, const MsgraphPortal *portal)
{
        cJSON *row = parse(row_json), *s = NULL;

        CU_ASSERT_EQUAL(msgraph_hunting_sighting(msgraph_observable_from_string(type), value, row, portal, NULL, &s), 0);
        cJSON_Delete(row);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        check_sighting_shape(s, type, value);
        return s;
}

static void hunting_golden(const char *type, const char *value, const char *row_json, const char *want_json)
{
        cJSON *s = hunting_map(type, value, row_json, &test_portal), *want = parse(want_json);

        strip_transient_id(s);
        json_equal(type, s, want);
        cJSON_Delete(s);
        cJSON_Delete(want);
}

/* A JSON string holding the JSON text s. */
static char *as_json_string(const char *s)
{
        cJSON *j = cJSON_CreateString(s);
        char *out = cJSON_PrintUnformatted(j);

        cJSON_Delete(j);
        return out;
}

static void test_hunting_golden(void)
{
        _cleanup_free_ char *row = xasprintf(HUNTING_ROW, HUNTING_DEVICES, HUNTING_FILES, HUNTING_CONNECTIONS);
        _cleanup_free_ char *d = as_json_string(HUNTING_DEVICES), *f = as_json_string(HUNTING_FILES),
                            *c = as_json_string(HUNTING_CONNECTIONS);
        _cleanup_free_ char *row_strings = xasprintf(HUNTING_ROW, d, f, c);
        static const char want_ip[] =
                "{" HUNTING_COMMON("ip", "172.16.33.115")
                "\"relations\":["
                REL("Connected_To", "ip", "10.8.198.18", "url", "http://willaimsclarke.com/lee/fre.php") ","
                REL("Connected_To", "ip", "10.8.198.18", "ip", "95.142.39.125") ","
                REL("Connected_To", "ip", "10.8.198.18", "domain", "www.febrikam.com") "]}";
        static const char want_sha256[] =
                "{" HUNTING_COMMON("sha256", "0918")
                "\"relations\":["
                REL("File_Name_Of", "file_name", "photoview1sp.jpg", "sha256", "0918") ","
                REL("File_Name_Of", "file_name", "x.ps1", "sha1", "aaaa") ","
                REL("File_Name_Of", "file_name", "ntdll.dll", "sha1", "bbbb") ","
                REL("File_Path_Of", "file_path", "C:\\\\temp\\\\photoview1sp.jpg", "sha256", "0918") ","
                REL("File_Path_Of", "file_path", "/tmp/x.ps1", "sha1", "aaaa") ","
                REL("File_Path_Of", "file_path", "C:\\\\Windows\\\\System32\\\\ntdll.dll", "sha1", "bbbb") "]}";

        hunting_golden("ip", "172.16.33.115", row, want_ip);
        /* the dynamic columns as strings holding JSON: the same */
        hunting_golden("ip", "172.16.33.115", row_strings, want_ip);
        hunting_golden("sha256", "0918", row, want_sha256);
        hunting_golden("sha256", "0918", row_strings, want_sha256);
}

static void test_hunting_details(void)
{
        cJSON *s, *want;

        /* severity, any case; anything else is Unknown */
        static const struct {
                const char *in, *out;
        } sev[] = {
                { "\"High\"", "High" }, { "\"high\"", "High" }, { "\"Medium\"", "Medium" }, { "\"Low\"", "Low" },
                { "\"Informational\"", "Info" }, { "\"UnSpecified\"", "Unknown" }, { "\"unknownFutureValue\"", "Unknown" },
                { "\"\"", "Unknown" }, { "null", "Unknown" }, { "5", "Unknown" }, { "[]", "Unknown" },
        };
        for (size_t i = 0; i < N_ELEMENTS(sev); i++) {
                _cleanup_free_ char *row = xasprintf("{\"Timestamp\":\"T\",\"Severity\":%s}", sev[i].in);
                s = hunting_map("ip", "1.2.3.4", row, NULL);
                CU_ASSERT_STRING_EQUAL(str_at(s, "severity"), sev[i].out);
                cJSON_Delete(s);
        }

        /* sensor by service source, in either naming */
        static const struct {
                const char *in, *out;
        } sensors[] = {
                { "\"Microsoft Defender for Endpoint\"", "endpoint" },
                { "\"microsoftDefenderForEndpoint\"", "endpoint" },
                { "\"Microsoft Defender for Office 365\"", "process.email-service" },
                { "\"microsoftDefenderForOffice365\"", "process.email-service" },
                { "\"Microsoft Defender for Identity\"", "process.directory-service" },
                { "\"Microsoft Defender for Cloud Apps\"", "endpoint" },
                { "\"Microsoft Defender XDR\"", "endpoint" },
                { "\"A very very very very very very very very very very very very long source name\"", "endpoint" },
                { "null", "endpoint" }, { "7", "endpoint" },
        };
        for (size_t i = 0; i < N_ELEMENTS(sensors); i++) {
                _cleanup_free_ char *row = xasprintf("{\"Timestamp\":\"T\",\"ServiceSource\":%s}", sensors[i].in);
                s = hunting_map("ip", "1.2.3.4", row, NULL);
                CU_ASSERT_STRING_EQUAL(str_at(s, "sensor"), sensors[i].out);
                cJSON_Delete(s);
        }

        /* times: first/last seen, else the alert's time */
        static const struct {
                const char *row, *start, *end, *ts;
        } times[] = {
                { "{\"Timestamp\":\"T\"}", "T", "T", "T" },
                { "{\"Timestamp\":\"T\",\"FirstSeen\":\"F\",\"LastSeen\":\"L\"}", "F", "L", "T" },
                { "{\"FirstSeen\":\"F\"}", "F", "F", "F" },
                { "{\"LastSeen\":\"L\"}", "L", "L", "L" },
                { "{\"FirstSeen\":\"F\",\"LastSeen\":\"L\"}", "F", "L", "L" },
                { "{\"Timestamp\":\"\",\"FirstSeen\":5,\"LastSeen\":\"L\"}", "L", "L", "L" },
        };
        for (size_t i = 0; i < N_ELEMENTS(times); i++) {
                s = hunting_map("url", "http://x", times[i].row, NULL);
                CU_ASSERT_STRING_EQUAL(str_at(cJSON_GetObjectItem(s, "observed_time"), "start_time"), times[i].start);
                CU_ASSERT_STRING_EQUAL(str_at(cJSON_GetObjectItem(s, "observed_time"), "end_time"), times[i].end);
                CU_ASSERT_STRING_EQUAL(str_at(s, "timestamp"), times[i].ts);
                /* no portal: no references; nothing but the time: the bare minimum */
                CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(s, "external_references")), 0);
                CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(s, "description"));
                CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(s, "title"));
                cJSON_Delete(s);
        }

        /* portal links: the id and the tenant encoded, one slash */
        {
                static const MsgraphPortal gov = { .url = "https://security.microsoft.us/", .tenant_id = NULL };
                static const MsgraphPortal empty = { .url = "", .tenant_id = "x" };
                s = hunting_map("ip", "1.2.3.4", "{\"Timestamp\":\"T\",\"AlertId\":\"a/b?c#d e\"}", &gov);
                want = parse("[{\"source_name\":\"Microsoft Graph Security\","
                             "\"url\":\"https://security.microsoft.us/alerts/a%2Fb%3Fc%23d%20e\"}]");
                json_equal("portal", cJSON_GetObjectItem(s, "external_references"), want);
                cJSON_Delete(want);
                cJSON_Delete(s);
                s = hunting_map("ip", "1.2.3.4", "{\"Timestamp\":\"T\",\"AlertId\":\"a\"}", &empty);
                CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(s, "external_references")), 0);
                cJSON_Delete(s);
                s = hunting_map("ip", "1.2.3.4", "{\"Timestamp\":\"T\",\"AlertId\":\"\"}", &test_portal);
                CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(s, "external_references")), 0);
                CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(s, "external_ids")), 0);
                cJSON_Delete(s);
        }

        /* description: the parts present, techniques unpacked or as given */
        {
                static const struct {
                        const char *row, *want;
                } desc[] = {
                        { "{\"Timestamp\":\"T\",\"Category\":\"Malware\"}", "Category: Malware." },
                        { "{\"Timestamp\":\"T\",\"AttackTechniques\":\"[]\"}", NULL },
                        { "{\"Timestamp\":\"T\",\"AttackTechniques\":\"[1,\\\"\\\",null]\"}", NULL },
                        { "{\"Timestamp\":\"T\",\"DetectionSource\":\"AV\",\"AttackTechniques\":\"[1,\\\"\\\"]\"}",
                          "Detection source: AV." },
                        { "{\"Timestamp\":\"T\",\"AttackTechniques\":\"[\\\"A (T1)\\\",\\\"B (T2)\\\"]\"}",
                          "MITRE ATT&CK: A (T1), B (T2)." },
                        { "{\"Timestamp\":\"T\",\"AttackTechniques\":\"T1059\"}", "MITRE ATT&CK: T1059." },
                        { "{\"Timestamp\":\"T\",\"Category\":\"\",\"ServiceSource\":5}", NULL },
                };
                for (size_t i = 0; i < N_ELEMENTS(desc); i++) {
                        const char *got;
                        s = hunting_map("ip", "1.2.3.4", desc[i].row, NULL);
                        got = str_at(s, "description");
                        if (desc[i].want) {
                                CU_ASSERT_PTR_NOT_NULL(got);
                                if (got) {
                                        CU_ASSERT_STRING_EQUAL(got, desc[i].want);
                                }
                        } else {
                                CU_ASSERT_PTR_NULL(got);
                        }
                        cJSON_Delete(s);
                }
        }

        /* file paths from folder and name */
        {
                static const struct {
                        const char *folder, *name, *path;
                } paths[] = {
                        { "C:\\\\Windows", "a.exe", "C:\\\\Windows\\\\a.exe" },
                        { "C:", "a.exe", "C:\\\\a.exe" },
                        { "C:\\\\", "a.exe", "C:\\\\a.exe" },
                        { "/usr/bin", "ls", "/usr/bin/ls" },
                        { "/usr/bin/ls", "ls", "/usr/bin/ls" },
                        { "/usr/bin/LS", "ls", "/usr/bin/LS" },
                        { "/usr/binls", "ls", "/usr/binls/ls" },
                        { "ls", "ls", "ls" },
                        { "dir", "", "dir" },
                };
                for (size_t i = 0; i < N_ELEMENTS(paths); i++) {
                        _cleanup_free_ char *row = xasprintf(
                                "{\"Timestamp\":\"T\",\"Files\":[{\"FolderPath\":\"%s\",\"FileName\":\"%s\",\"SHA256\":\"h\"}]}",
                                paths[i].folder, paths[i].name);
                        const cJSON *rels, *last;
                        s = hunting_map("file_path", "p", row, NULL);
                        rels = cJSON_GetObjectItem(s, "relations");
                        last = cJSON_GetArrayItem(rels, cJSON_GetArraySize(rels) - 1);
                        CU_ASSERT_STRING_EQUAL(str_at(last, "relation"), "File_Path_Of");
                        _cleanup_free_ char *want_path = xasprintf("\"%s\"", paths[i].path);
                        cJSON *wp = parse(want_path);
                        CU_ASSERT_STRING_EQUAL(str_at(cJSON_GetObjectItem(last, "source"), "value"), wp->valuestring);
                        cJSON_Delete(wp);
                        cJSON_Delete(s);
                }
        }
}

static void test_hunting_hostile(void)
{
        static const char *const rows[] = {
                "{\"Timestamp\":\"T\",\"Devices\":\"not json\",\"Files\":\"{}\",\"Connections\":\"[1,2\"}",
                "{\"Timestamp\":\"T\",\"Devices\":{},\"Files\":5,\"Connections\":null}",
                "{\"Timestamp\":\"T\",\"Devices\":[null,1,\"x\",[],{\"DeviceName\":7,\"LocalIP\":[]}],"
                "\"Files\":[null,{\"SHA256\":5,\"SHA1\":{}},{\"FileName\":[],\"SHA256\":\"h\"}],"
                "\"Connections\":[{\"LocalIP\":1,\"RemoteIP\":\"x\"},{\"LocalIP\":\"a\",\"RemoteUrl\":[]}]}",
                "{\"Timestamp\":\"T\",\"Devices\":\"[{\\\"DeviceName\\\":\\\".\\\"}]\"}",
                "{\"Timestamp\":\"T\",\"Devices\":[{\"DeviceName\":\"...\"},{\"DeviceName\":\".lead\"}]}",
                "{\"Timestamp\":\"T\",\"Title\":5,\"AlertId\":[],\"Severity\":{},\"AttackTechniques\":\"[\"}",
                "{\"Timestamp\":[],\"FirstSeen\":\"F\"}",
        };
        cJSON *s = NULL, *row, *out = NULL, *resp;
        size_t skipped = 99;

        for (size_t i = 0; i < N_ELEMENTS(rows); i++)
                for (MsgraphObservable t = 0; t < _MSGRAPH_OBSERVABLE_MAX; t++) {
                        s = hunting_map(msgraph_observable_to_string(t), "v", rows[i], &test_portal);
                        cJSON_Delete(s);
                }

        /* many devices, files and connections: bounded, no crash */
        {
                cJSON *r = cJSON_CreateObject(), *devs = cJSON_CreateArray(), *files = cJSON_CreateArray();
                cJSON_AddStringToObject(r, "Timestamp", "T");
                for (int i = 0; i < 1000; i++) {
                        char name[32];
                        cJSON *d = cJSON_CreateObject(), *f = cJSON_CreateObject();
                        snprintf(name, sizeof(name), "host%d.example", i);
                        cJSON_AddStringToObject(d, "DeviceName", name);
                        cJSON_AddItemToArray(devs, d);
                        cJSON_AddStringToObject(f, "FileName", name);
                        cJSON_AddStringToObject(f, "SHA1", "h");
                        cJSON_AddItemToArray(files, f);
                }
                cJSON_AddItemToObject(r, "Devices", devs);
                cJSON_AddItemToObject(r, "Files", files);
                CU_ASSERT_EQUAL(msgraph_hunting_sighting(MSGRAPH_SHA256, "v", r, NULL, NULL, &s), 0);
                CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(s, "targets")), 256);
                CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(s, "relations")), 256);
                cJSON_Delete(s);
                s = NULL;
                cJSON_Delete(r);
        }

        row = parse("{\"Title\":\"no time\"}");
        CU_ASSERT_EQUAL(msgraph_hunting_sighting(MSGRAPH_IP, "v", row, NULL, NULL, &s), -EBADMSG);
        CU_ASSERT_EQUAL(msgraph_hunting_sighting(_MSGRAPH_OBSERVABLE_MAX, "v", row, NULL, NULL, &s), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_sighting(MSGRAPH_IP, NULL, row, NULL, NULL, &s), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_sighting(MSGRAPH_IP, "v", NULL, NULL, NULL, &s), -EINVAL);
        cJSON_Delete(row);
        row = parse("[{\"Timestamp\":\"T\"}]");
        CU_ASSERT_EQUAL(msgraph_hunting_sighting(MSGRAPH_IP, "v", row, NULL, NULL, &s), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_sightings(MSGRAPH_IP, "v", 0, row, 10, NULL, NULL, &out, NULL), -EINVAL);
        cJSON_Delete(row);
        CU_ASSERT_PTR_NULL(s);
        CU_ASSERT_PTR_NULL(out);

        resp = parse("{\"schema\":[],\"results\":[{\"Obs\":0,\"Timestamp\":\"A\"},5,{\"Obs\":0,\"Title\":\"x\"},null,"
                     "{\"Obs\":0,\"Timestamp\":\"B\"},{\"Obs\":0,\"Timestamp\":\"C\"}]}");
        CU_ASSERT_EQUAL(msgraph_hunting_sightings(MSGRAPH_IP, "v", 0, resp, 10, NULL, NULL, &out, &skipped), 0);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(out), 3);
        CU_ASSERT_EQUAL(skipped, 1);
        cJSON_Delete(out);
        CU_ASSERT_EQUAL(msgraph_hunting_sightings(MSGRAPH_IP, "v", 0, resp, 2, NULL, NULL, &out, &skipped), 0);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(out), 2);
        CU_ASSERT_STRING_EQUAL(str_at(cJSON_GetArrayItem(out, 1), "timestamp"), "B");
        cJSON_Delete(out);
        CU_ASSERT_EQUAL(msgraph_hunting_sightings(MSGRAPH_IP, "v", 0, resp, 0, NULL, NULL, &out, &skipped), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_hunting_sightings(MSGRAPH_IP, "v", -1, resp, 10, NULL, NULL, &out, &skipped), -EINVAL);
        cJSON_Delete(resp);
        resp = parse("{\"results\":\"none\"}");
        CU_ASSERT_EQUAL(msgraph_hunting_sightings(MSGRAPH_IP, "v", 0, resp, 10, NULL, NULL, &out, NULL), 0);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(out), 0);
        cJSON_Delete(out);
        cJSON_Delete(resp);
}

/* One answer, several observables: each takes the rows of its Obs, in
 * Microsoft's order, cut to the limit on its own; rows tagged otherwise
 * (or not at all) belong to no one. */
static void test_hunting_split(void)
{
        cJSON *resp = parse("{\"results\":["
                            "{\"Obs\":0,\"AlertId\":\"a1\",\"Timestamp\":\"T1\"},"
                            "{\"Obs\":0,\"AlertId\":\"a2\",\"Timestamp\":\"T2\"},"
                            "{\"Obs\":0,\"AlertId\":\"a3\",\"Timestamp\":\"T3\"},"
                            "{\"Obs\":1,\"AlertId\":\"a2\",\"Timestamp\":\"T2\"},"
                            "{\"Obs\":\"2\",\"AlertId\":\"b1\",\"Timestamp\":\"T4\"},"
                            "{\"Obs\":2,\"AlertId\":\"b2\"},"
                            "{\"Obs\":2.5,\"AlertId\":\"x1\",\"Timestamp\":\"T\"},"
                            "{\"Obs\":-1,\"AlertId\":\"x2\",\"Timestamp\":\"T\"},"
                            "{\"Obs\":\" 1\",\"AlertId\":\"x3\",\"Timestamp\":\"T\"},"
                            "{\"Obs\":\"\",\"AlertId\":\"x4\",\"Timestamp\":\"T\"},"
                            "{\"Obs\":null,\"AlertId\":\"x5\",\"Timestamp\":\"T\"},"
                            "{\"Obs\":[1],\"AlertId\":\"x6\",\"Timestamp\":\"T\"},"
                            "{\"AlertId\":\"x7\",\"Timestamp\":\"T\"},"
                            "{\"Obs\":1,\"AlertId\":\"a4\",\"Timestamp\":\"T0\"}]}");
        static const struct {
                int64_t obs, limit;
                const char *ids;
                size_t skipped;
        } cases[] = {
                { 0, 100, "a1 a2 a3", 0 },
                { 0, 2, "a1 a2", 0 },
                { 1, 100, "a2 a4", 0 },
                { 1, 1, "a2", 0 },
                { 2, 100, "b1", 1 },
                { 3, 100, "", 0 },
                { INT64_MAX, 100, "", 0 },
        };

        for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
                cJSON *out = NULL;
                const cJSON *s;
                size_t skipped = 99;
                Buf ids = { 0 };

                CU_ASSERT_EQUAL_FATAL(msgraph_hunting_sightings(MSGRAPH_DOMAIN, "d", cases[i].obs, resp, cases[i].limit,
                                                                &test_portal, NULL, &out, &skipped), 0);
                cJSON_ArrayForEach(s, out) {
                        if (ids.n)
                                buf_putc(&ids, ' ');
                        buf_puts(&ids, cJSON_GetArrayItem(cJSON_GetObjectItem(s, "external_ids"), 0)->valuestring);
                        CU_ASSERT_STRING_EQUAL(str_at(cJSON_GetArrayItem(cJSON_GetObjectItem(s, "observables"), 0),
                                                      "value"), "d");
                }
                CU_ASSERT_STRING_EQUAL(ids.p ? ids.p : "", cases[i].ids);
                CU_ASSERT_EQUAL(skipped, cases[i].skipped);
                buf_done(&ids);
                cJSON_Delete(out);
        }
        cJSON_Delete(resp);
}

/* --- errors ---------------------------------------------------------------------------------------- */

static bool utf8_ok(const char *s)
{
        const unsigned char *p = (const unsigned char *) s;

        while (*p) {
                size_t len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
                if (len == 0)
                        return false;
                for (size_t i = 1; i < len; i++)
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                p += len;
        }
        return true;
}

static void error_is(MsgraphCall call, long status, const char *body, const char *code, const char *message)
{
        MsgraphError e = { 0 };
        int r = msgraph_error_from_response(call, status, body, body ? strlen(body) : 0, &e);

        if (!code) {
                CU_ASSERT_EQUAL(r, 0);
                CU_ASSERT_PTR_NULL(e.message);
                return;
        }
        CU_ASSERT_EQUAL_FATAL(r, 1);
        CU_ASSERT_STRING_EQUAL(e.code, code);
        if (strcmp(e.message, message) != 0)
                printf("# %ld: got '%s', want '%s'\n", status, e.message, message);
        CU_ASSERT_STRING_EQUAL(e.message, message);
        msgraph_error_done(&e);
        CU_ASSERT_PTR_NULL(e.message);
}

#define UNEXPECTED "Unexpected response from Microsoft Graph Security: "

static void test_errors(void)
{
        static const char aad401[] =
                "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret is provided.\"}";
        static const char graph404[] = "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"Resource not found\"}}";
        static const char aad400[] = "{\"error\":\"invalid_request\",\"error_description\":\"AADSTS900023: "
                                     "Specified tenant identifier 'x' is neither a valid DNS name, nor a valid external domain.\"}";

        /* success, and the 404s that are none */
        for (MsgraphCall c = 0; c < _MSGRAPH_CALL_MAX; c++) {
                error_is(c, 200, "{}", NULL, NULL);
                error_is(c, 204, NULL, NULL, NULL);
        }
        error_is(MSGRAPH_CALL_ALERTS, 404, graph404, NULL, NULL);
        error_is(MSGRAPH_CALL_HEALTH, 404, graph404, NULL, NULL);
        error_is(MSGRAPH_CALL_TOKEN, 404, graph404, "authorization error",
                 "Authorization failed: Specified Tenant ID was not found");
        error_is(MSGRAPH_CALL_HUNTING, 404, graph404, "not found", UNEXPECTED "Resource not found");

        /* the table of §7.5 */
        for (MsgraphCall c = 0; c < _MSGRAPH_CALL_MAX; c++) {
                error_is(c, 429, "{\"error\":{\"message\":\"slow down\"}}", "too many requests",
                         "Too many requests to Microsoft Graph Security have been made. Please try again later.");
                error_is(c, 503, "", "service unavailable", "Service temporarily unavailable. Please try again later.");
                error_is(c, 503, "<html/>", "service unavailable",
                         "Service temporarily unavailable. Please try again later.");
                error_is(c, 401, aad401, "authorization error",
                         "Authorization failed: AADSTS7000215: Invalid client secret is provided.");
                error_is(c, 400, aad400, "invalid argument", UNEXPECTED "AADSTS900023: Specified tenant identifier "
                         "'x' is neither a valid DNS name, nor a valid external domain.");
                error_is(c, 403, "{\"error\":{\"code\":\"Forbidden\",\"message\":\"Missing role ThreatHunting.Read.All\"}}",
                         "permission denied", UNEXPECTED "Missing role ThreatHunting.Read.All");
                error_is(c, 500, graph404, "unknown", UNEXPECTED "Resource not found");
                error_is(c, 502, "", "unknown", UNEXPECTED "HTTP 502");
                error_is(c, 418, NULL, "unknown", UNEXPECTED "HTTP 418");
                error_is(c, 302, "moved", "unknown", UNEXPECTED "moved");
        }
        /* where upstream answers 500 (§9 row 21) */
        error_is(MSGRAPH_CALL_ALERTS, 500, "<html>oops</html>\n", "unknown", UNEXPECTED "<html>oops</html>");
        error_is(MSGRAPH_CALL_TOKEN, 401, "{\"error\":\"invalid_client\"}", "authorization error",
                 "Authorization failed: invalid_client");
        error_is(MSGRAPH_CALL_ALERTS, 400, "  \n\t ", "invalid argument", UNEXPECTED "HTTP 400");
        error_is(MSGRAPH_CALL_ALERTS, 400, "{\"error\":{\"code\":\"BadRequest\"}}", "invalid argument",
                 UNEXPECTED "{\"error\":{\"code\":\"BadRequest\"}}");
        error_is(MSGRAPH_CALL_ALERTS, 400, "{\"error\":5,\"error_description\":7}", "invalid argument",
                 UNEXPECTED "{\"error\":5,\"error_description\":7}");
        error_is(MSGRAPH_CALL_ALERTS, 400, "[\"error\"]", "invalid argument", UNEXPECTED "[\"error\"]");
        error_is(MSGRAPH_CALL_HUNTING, 400,
                 "{\"error\":{\"code\":\"BadRequest\",\"message\":\"Failed to resolve table 'AlertEvidence'\"}}",
                 "invalid argument", UNEXPECTED "Failed to resolve table 'AlertEvidence'");
        /* error_description wins over error.message */
        error_is(MSGRAPH_CALL_ALERTS, 401, "{\"error\":{\"message\":\"b\"},\"error_description\":\"a\"}",
                 "authorization error", "Authorization failed: a");

        /* invalid arguments */
        {
                MsgraphError e = { 0 };
                CU_ASSERT_EQUAL(msgraph_error_from_response(_MSGRAPH_CALL_MAX, 400, "", 0, &e), -EINVAL);
                CU_ASSERT_EQUAL(msgraph_error_from_response(_MSGRAPH_CALL_INVALID, 400, "", 0, &e), -EINVAL);
                CU_ASSERT_EQUAL(msgraph_error_from_response(MSGRAPH_CALL_ALERTS, 42, "", 0, &e), -EINVAL);
                CU_ASSERT_EQUAL(msgraph_error_from_response(MSGRAPH_CALL_ALERTS, 1000, "", 0, &e), -EINVAL);
                CU_ASSERT_EQUAL(msgraph_error_from_response(MSGRAPH_CALL_ALERTS, -1, "", 0, &e), -EINVAL);
                CU_ASSERT_EQUAL(msgraph_error_from_response(MSGRAPH_CALL_ALERTS, 400, NULL, 3, &e), -EINVAL);
                CU_ASSERT_PTR_NULL(e.message);
                msgraph_error_done(NULL);
        }
}

static void test_errors_hostile_bodies(void)
{
        MsgraphError e = { 0 };
        char big[5000];

        /* invalid UTF-8 and NUL bytes become U+FFFD */
        CU_ASSERT_EQUAL(msgraph_error_from_response(MSGRAPH_CALL_ALERTS, 500, "a\xff\0b\xc3", 5, &e), 1);
        CU_ASSERT_STRING_EQUAL(e.message, UNEXPECTED "a\xef\xbf\xbd\xef\xbf\xbd" "b\xef\xbf\xbd");
        msgraph_error_done(&e);
        /* a JSON message with a NUL escape: cut there, still valid */
        CU_ASSERT_EQUAL(msgraph_error_from_response(MSGRAPH_CALL_ALERTS, 400, "{\"error_description\":\"a\\u0000b\"}",
                                                    strlen("{\"error_description\":\"a\\u0000b\"}"), &e), 1);
        CU_ASSERT_TRUE(utf8_ok(e.message));
        msgraph_error_done(&e);
        /* long bodies are cut, never inside a character */
        for (size_t shift = 0; shift < 4; shift++) {
                size_t n = 0;
                for (; n < shift; n++)
                        big[n] = 'a';
                while (n + 4 < sizeof(big)) {
                        memcpy(big + n, "\xf0\x9f\x98\x80", 4);
                        n += 4;
                }
                CU_ASSERT_EQUAL(msgraph_error_from_response(MSGRAPH_CALL_HUNTING, 500, big, n, &e), 1);
                CU_ASSERT_TRUE(strlen(e.message) <= MSGRAPH_ERROR_MESSAGE_MAX);
                CU_ASSERT_TRUE(strlen(e.message) > MSGRAPH_ERROR_MESSAGE_MAX - 4);
                CU_ASSERT_TRUE(utf8_ok(e.message));
                CU_ASSERT_EQUAL(strncmp(e.message, UNEXPECTED, strlen(UNEXPECTED)), 0);
                msgraph_error_done(&e);
        }
        /* a deeply nested body does not blow the stack */
        {
                _cleanup_free_ char *deep = xmalloc(200001);
                memset(deep, '[', 200000);
                deep[200000] = '\0';
                CU_ASSERT_EQUAL(msgraph_error_from_response(MSGRAPH_CALL_ALERTS, 400, deep, 200000, &e), 1);
                CU_ASSERT_TRUE(strlen(e.message) <= MSGRAPH_ERROR_MESSAGE_MAX);
                msgraph_error_done(&e);
        }
}

static void test_errors_transport(void)
{
        MsgraphError e = { 0 };

        msgraph_error_tls("self signed certificate", &e);
        CU_ASSERT_STRING_EQUAL(e.code, "unknown");
        CU_ASSERT_STRING_EQUAL(e.message, "Unable to verify SSL certificate: Self signed certificate");
        msgraph_error_done(&e);
        msgraph_error_tls("SELF SIGNED Certificate In Chain", &e);
        CU_ASSERT_STRING_EQUAL(e.message, "Unable to verify SSL certificate: Self signed certificate in chain");
        msgraph_error_done(&e);
        msgraph_error_tls(NULL, &e);
        CU_ASSERT_STRING_EQUAL(e.message, "Unable to verify SSL certificate: ");
        msgraph_error_done(&e);

        msgraph_error_connect("https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token", &e);
        CU_ASSERT_STRING_EQUAL(e.code, "connection error");
        CU_ASSERT_STRING_EQUAL(e.message, "Unable to connect Microsoft Graph Security, validate the configured API URL: "
                                          "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token");
        msgraph_error_done(&e);
        msgraph_error_connect("https://graph.microsoft.com/v1.0/", &e);
        CU_ASSERT_STRING_EQUAL(e.message, "Unable to connect Microsoft Graph Security, validate the configured API URL: "
                                          "https://graph.microsoft.com/v1.0/");
        msgraph_error_done(&e);
}

/* --- client-credentials token ------------------------------------------------------- */

static void test_token_request(void)
{
        char *url = NULL, *body = NULL;

        CU_ASSERT_EQUAL(msgraph_token_request("https://login.microsoftonline.com/", "tenant-1", "app-1",
                                              "s3cr&t=+/ %", "https://graph.microsoft.com/.default", &url, &body), 0);
        CU_ASSERT_STRING_EQUAL(url, "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token");
        CU_ASSERT_STRING_EQUAL(body, "client_id=app-1&client_secret=s3cr%26t%3D%2B%2F%20%25"
                                     "&grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default");
        free(url);
        free(body);
        /* a tenant id cannot leave its path segment */
        CU_ASSERT_EQUAL(msgraph_token_request("http://127.0.0.1:1", "../x?y#z", "a", "b", "c", &url, &body), 0);
        CU_ASSERT_STRING_EQUAL(url, "http://127.0.0.1:1/..%2Fx%3Fy%23z/oauth2/v2.0/token");
        free(url);
        free(body);
        CU_ASSERT_EQUAL(msgraph_token_request("https://l", NULL, "a", "b", "c", &url, &body), -EINVAL);
        CU_ASSERT_EQUAL(msgraph_token_request("https://l", "t", "a", "\xff", "c", &url, &body), -EILSEQ);
}

static void test_token_parse(void)
{
        static const char *const bad[] = {
                "", "not json", "[]", "{}", "{\"access_token\":5}", "{\"access_token\":\"\"}",
                "{\"access_token\":\"a\\r\\nX-Evil: 1\"}", "{\"token_type\":\"Bearer\"}",
        };
        char *t = NULL;
        int64_t e = -1;

        CU_ASSERT_EQUAL(msgraph_token_parse("{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"eyJ0\"}",
                                            63, &t, &e), 0);
        CU_ASSERT_STRING_EQUAL(t, "eyJ0");
        CU_ASSERT_EQUAL(e, 3599);
        free(t);
        CU_ASSERT_EQUAL(msgraph_token_parse("{\"expires_in\":\"3600\",\"access_token\":\"x\"}", 40, &t, &e), 0);
        CU_ASSERT_EQUAL(e, 3600);
        free(t);
        CU_ASSERT_EQUAL(msgraph_token_parse("{\"access_token\":\"x\"}", 20, &t, &e), 0);
        CU_ASSERT_EQUAL(e, MSGRAPH_TOKEN_DEFAULT_TTL);
        free(t);
        CU_ASSERT_EQUAL(msgraph_token_parse("{\"access_token\":\"x\",\"expires_in\":-5}", 36, &t, &e), 0);
        CU_ASSERT_EQUAL(e, 0);
        free(t);
        CU_ASSERT_EQUAL(msgraph_token_parse("{\"access_token\":\"x\",\"expires_in\":1e300}", 39, &t, &e), 0);
        CU_ASSERT_EQUAL(e, 86400 * 7);
        free(t);
        for (size_t i = 0; i < N_ELEMENTS(bad); i++)
                CU_ASSERT_EQUAL(msgraph_token_parse(bad[i], strlen(bad[i]), &t, &e), -EBADMSG);
        CU_ASSERT_EQUAL(msgraph_token_parse(NULL, 0, &t, &e), -EINVAL);
}

void msgraph_map_suite_add(void)
{
        UNIT_SUITE("msgraph_map",
                   UNIT_TEST(test_observable_types),
                   UNIT_TEST(test_golden_legacy),
                   UNIT_TEST(test_golden_legacy_response),
                   UNIT_TEST(test_fixtures_match_shared),
                   UNIT_TEST(test_legacy_bands),
                   UNIT_TEST(test_legacy_targets_relations),
                   UNIT_TEST(test_legacy_hostile_fields),
                   UNIT_TEST(test_legacy_duplicate_keys),
                   UNIT_TEST(test_legacy_invalid),
                   UNIT_TEST(test_limit_claim),
                   UNIT_TEST(test_limit_use),
                   UNIT_TEST(test_injected_random),
                   UNIT_TEST(test_legacy_filters_upstream),
                   UNIT_TEST(test_legacy_path_exact),
                   UNIT_TEST(test_legacy_hostile_values),
                   UNIT_TEST(test_legacy_filter_invalid),
                   UNIT_TEST(test_kql_literal),
                   UNIT_TEST(test_kql_injection),
                   UNIT_TEST(test_kql_query_shape),
                   UNIT_TEST(test_hunting_batch),
                   UNIT_TEST(test_kql_body),
                   UNIT_TEST(test_hunting_golden),
                   UNIT_TEST(test_hunting_details),
                   UNIT_TEST(test_hunting_hostile),
                   UNIT_TEST(test_hunting_split),
                   UNIT_TEST(test_errors),
                   UNIT_TEST(test_errors_hostile_bodies),
                   UNIT_TEST(test_errors_transport),
                   UNIT_TEST(test_token_request),
                   UNIT_TEST(test_token_parse));
}
