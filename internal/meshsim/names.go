package meshsim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// Place names give nodes the look of a real regional mesh.
var seattlePlaces = []string{
	"Ballard", "Fremont", "Capitol Hill", "Queen Anne", "Magnolia", "West Seattle", "Beacon Hill",
	"Rainier", "Bellevue", "Kirkland", "Redmond", "Issaquah", "Renton", "Kent", "Tacoma", "Everett",
	"Lynnwood", "Bothell", "Shoreline", "Burien", "Tukwila", "Mercer Isl", "Bainbridge", "Vashon",
	"Snohomish", "Woodinville", "Sammamish", "Auburn", "Federal Way", "Puyallup", "Edmonds",
	"Mukilteo", "Tiger Mtn", "Cougar Mtn", "Squak Mtn", "Rattlesnake", "Green Lake", "Wallingford",
	"Georgetown", "SoDo", "Alki", "Maple Valley", "Kenmore", "Duvall", "Carnation", "North Bend",
	"Poulsbo", "Kingston", "Gig Harbor", "Des Moines",
}

var portlandPlaces = []string{
	"Hawthorne", "Alberta", "Sellwood", "St Johns", "Beaverton", "Hillsboro", "Gresham", "Tigard",
	"Lake Oswego", "Vancouver", "Milwaukie", "Mt Tabor", "Council Crest", "Forest Park", "Pearl",
	"Montavilla", "Tualatin", "Happy Valley", "Oregon City", "Camas",
}

var genericPlaces = []string{
	"North Ridge", "Harbor", "Old Town", "Hilltop", "Riverside", "Lakeview", "Downtown", "Mill Creek",
	"Pine Hill", "West End", "Eastgate", "Summit", "Valley", "Airport", "Bayside", "Oak Park",
}

var firstNames = []string{
	"Dave", "Mika", "Sam", "Priya", "Jonas", "Lena", "Carlos", "Aiko", "Noor", "Tom", "Ravi", "Erin",
	"Zoë", "Björn", "José", "Søren", "Ngọc Anh", "Ævar", "Chloé", "Łukasz", "Renée", "Kenji", "Ines",
	"李明", "Олег", "Fatima", "Marek", "Hana", "Owen", "Tess", "Yusuf", "Greta", "Ana", "Leo",
}

var devices = []string{"T-Deck", "T1000", "Heltec", "RAK", "T-Echo", "Xiao", "WisMesh", "Pocket"}

var emojis = []string{"📡", "🌲", "⛰️", "🌊", "🗝️", "🦉", "☕", "🚲", "🌙", "🏔️", "🐙", "⚡", "🌧️", "🛰️"}

const callsignLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

func callsign(r *rand.Rand) string {
	prefix := []string{"K", "W", "N", "KJ", "KF", "KG", "KE", "WA", "AE"}[r.IntN(9)]
	n := 2 + r.IntN(2)
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteByte('7')
	for i := 0; i < n; i++ {
		b.WriteByte(callsignLetters[r.IntN(len(callsignLetters))])
	}
	return b.String()
}

func abbrev(place string) string {
	var b strings.Builder
	for _, w := range strings.Fields(place) {
		rs := []rune(strings.ToUpper(w))
		if len(rs) > 3 && b.Len() == 0 {
			rs = rs[:3]
		} else if len(rs) > 1 {
			rs = rs[:1]
		}
		b.WriteString(string(rs))
	}
	return b.String()
}

// nodeName invents a name for a node of the given role. Names are later made
// unique by the caller.
func nodeName(r *rand.Rand, role Role, places []string) string {
	place := places[r.IntN(len(places))]
	switch role {
	case RoleRepeater:
		switch r.IntN(7) {
		case 0:
			return place + " Rptr"
		case 1:
			return place + " Repeater"
		case 2:
			return callsign(r) + " Repeater"
		case 3:
			return place + " " + emojis[r.IntN(len(emojis))]
		case 4:
			return fmt.Sprintf("%s-RPT%02d", abbrev(place), 1+r.IntN(12))
		case 5:
			return place + " Hilltop"
		default:
			return fmt.Sprintf("%s-R%d", strings.ReplaceAll(place, " ", ""), 1+r.IntN(4))
		}
	case RoleRoom:
		switch r.IntN(3) {
		case 0:
			return place + " Chat Room"
		case 1:
			return place + " BBS 🏠"
		default:
			return abbrev(place) + " Room"
		}
	case RoleSensor:
		switch r.IntN(3) {
		case 0:
			return "WX " + place
		case 1:
			return abbrev(place) + " Wx 🌡️"
		default:
			return fmt.Sprintf("Sensor-%04X", r.IntN(0x10000))
		}
	default:
		first := firstNames[r.IntN(len(firstNames))]
		switch r.IntN(6) {
		case 0:
			return first
		case 1:
			return first + "'s " + devices[r.IntN(len(devices))]
		case 2:
			return callsign(r)
		case 3:
			return first + " " + emojis[r.IntN(len(emojis))]
		case 4:
			return first + " Mobile"
		default:
			return callsign(r) + " " + first
		}
	}
}

// observerName is the `origin` an observer's bridge reports.
func observerName(r *rand.Rand, iata, nodeName string) string {
	switch r.IntN(3) {
	case 0:
		return nodeName
	case 1:
		return iata + "-" + strings.ReplaceAll(nodeName, " ", "") + "-Obs"
	default:
		return strings.ToLower(iata) + "-observer-" + fmt.Sprint(1+r.IntN(9))
	}
}

// truncUTF8 cuts s to at most n bytes without splitting a character; advert
// names are limited to 32 bytes by the decoder.
func truncUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return strings.TrimSpace(s)
}

var chatLines = []string{
	"anyone on tonight?", "testing from the car, how's my signal?", "good morning mesh ☕",
	"new repeater up on the hill, should help the east side", "copy, loud and clear",
	"hearing you via 3 hops", "is the %s repeater down?", "heading out for a hike near %s",
	"power's out here, running on battery", "weather alert: wind gusts tonight 🌬️",
	"thanks for the relay!", "who's running the room server in %s?", "ping", "pong",
	"trying the new firmware, adverts look good", "mesh is busy today 👍",
	"just got my first node, hello everyone 👋", "anyone near %s with a spare antenna?",
	"traffic on I-5 is terrible", "snow level dropping tonight ❄️", "check-in: all good here",
	"net starts at 19:00 on #test", "solar repeater holding up nicely", "ack", "73",
	"can someone trace route to %s?", "rain again 🌧️", "lost packets around %s, interference?",
	"range test: 14 km line of sight!", "Moin from the ferry ⛴️", "ça marche 🎉",
}

var emergencyLines = []string{
	"EMCOMM drill starts 10:00, please check in", "check-in: %s station operational",
	"power outage reported in %s", "road closed near %s due to downed tree",
	"net control: all stations report status", "shelter open at %s community center",
	"drill complete, thanks all",
}

var testLines = []string{
	"test", "test 1 2 3", "testing from %s", "can anyone hear me?", "signal check please",
	"test %d", "range test %d km", "hello from %s",
}

// chatText returns a plausible chat line for a channel.
func chatText(r *rand.Rand, channel string, places []string, lat, lon float64) string {
	lines := chatLines
	switch channel {
	case "#emergency":
		lines = emergencyLines
	case "#test":
		lines = testLines
	case "#weather":
		lines = weatherLines
	case "#hiking":
		lines = hikingLines
	case "#wardriving":
		return fmt.Sprintf("@[MapperBot] %.5f, %.5f [%.1fw]", lat+(r.Float64()-0.5)*0.1, lon+(r.Float64()-0.5)*0.1, 0.1+r.Float64()*0.9)
	}
	line := lines[r.IntN(len(lines))]
	switch {
	case strings.Contains(line, "%s"):
		return fmt.Sprintf(line, places[r.IntN(len(places))])
	case strings.Contains(line, "%d"):
		return fmt.Sprintf(line, 1+r.IntN(40))
	}
	return line
}

var weatherLines = []string{
	"%s: 12°C, wind SW 15 km/h, light rain", "%s: clear, 8°C", "pressure dropping fast in %s",
	"fog rolling in over %s", "%s: 3 cm of snow so far ❄️", "sunny and 24°C in %s ☀️",
}

var hikingLines = []string{
	"at the trailhead near %s, signal is great", "summit! hearing 5 repeaters from up here ⛰️",
	"heading down from %s, ETA 2h", "trail to %s is muddy today", "anyone on the %s loop?",
}
