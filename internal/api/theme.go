package api

import "encoding/json"

// defaultTheme is the built-in branding and palette of /api/config/theme
// (dark navigation, blue accent, as in the reference screenshots). Operators
// override any key in config.json or theme.json.
var defaultTheme = map[string]json.RawMessage{
	"branding": json.RawMessage(`{"siteName":"CoreScope","tagline":"Real-time MeshCore LoRa mesh network analyzer","logoUrl":null,"faviconUrl":null}`),
	"theme": json.RawMessage(`{"accent":"#4a9eff","accentHover":"#6db3ff","navBg":"#0f0f23","navBg2":"#1a1a2e",
"navText":"#ffffff","navTextMuted":"#a0a0b8","background":"#f4f5f7","text":"#1a1a2e","textMuted":"#5b6475",
"border":"#d9dce3","surface1":"#ffffff","surface2":"#f0f2f5","surface3":"#e6e9ef","sectionBg":"#ffffff",
"cardBg":"#ffffff","contentBg":"#f4f5f7","detailBg":"#fafbfc","inputBg":"#ffffff","rowStripe":"#f8f9fb",
"rowHover":"#eef3ff","selectedBg":"#dbe9ff","statusGreen":"#22c55e","statusYellow":"#eab308","statusRed":"#ef4444"}`),
	"themeDark": json.RawMessage(`{"accent":"#4a9eff","accentHover":"#6db3ff","navBg":"#0f0f23","navBg2":"#1a1a2e",
"navText":"#ffffff","navTextMuted":"#a0a0b8","background":"#0d1117","text":"#e6e6f0","textMuted":"#9aa3b5",
"border":"#2a2f3a","surface1":"#161b22","surface2":"#1c2230","surface3":"#232a38","sectionBg":"#161b22",
"cardBg":"#161b22","contentBg":"#0d1117","detailBg":"#12171f","inputBg":"#0f141b","rowStripe":"#131922",
"rowHover":"#1c2535","selectedBg":"#1f3354","statusGreen":"#22c55e","statusYellow":"#eab308","statusRed":"#ef4444"}`),
	"nodeColors": json.RawMessage(`{"repeater":"#dc2626","companion":"#2563eb","room":"#16a34a","sensor":"#d97706","observer":"#8b5cf6"}`),
	"typeColors": json.RawMessage(`{"ADVERT":"#22c55e","GRP_TXT":"#3b82f6","TXT_MSG":"#f59e0b","ACK":"#6b7280",
"REQUEST":"#a855f7","RESPONSE":"#06b6d4","TRACE":"#ec4899","PATH":"#14b8a6","ANON_REQ":"#f43f5e","UNKNOWN":"#9ca3af"}`),
	"home": json.RawMessage(`{"heroTitle":"CoreScope","heroSubtitle":"Real-time MeshCore LoRa mesh network analyzer",
"steps":[{"emoji":"📡","title":"Connect an observer","description":"Run **meshcoretomqtt** on a radio next to you and point it at this server's MQTT broker."},
{"emoji":"📦","title":"Watch packets","description":"Every packet heard by any observer shows up on the **Packets** and **Live** pages within a second."},
{"emoji":"🗺️","title":"Explore the mesh","description":"Nodes advertise their position: see them on the **Map** and inspect paths and neighbours."},
{"emoji":"💬","title":"Read channels","description":"Public and #hashtag channels are decrypted automatically on the **Channels** page."}],
"footerLinks":[{"label":"API docs","url":"/api/docs"},{"label":"MeshCore","url":"https://meshcore.co.uk"}]}`),
}
