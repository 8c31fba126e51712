package api

import (
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/corescope/corescope/proto"
)

// Response schemas of /api/spec, generated from the proto/ messages (the
// contract the contract test enforces): one source of truth. routeResponses
// names the message of each route's 200 answer; the schema of every message
// it reaches is derived from its descriptor.

// specShape says how a route's JSON relates to its message: as is, or a bare
// array / map that the message wraps as {"items": …} / {"entries": …}.
type specShape int

const (
	shapeObject specShape = iota
	shapeItems
	shapeEntries
)

type respDoc struct {
	msg   proto.Message
	shape specShape
}

// routeResponses maps "METHOD template" to its 200 response message.
// Routes without an entry are documented as JSON without a schema.
var routeResponses = map[string]respDoc{
	"GET /api/healthz":                  {&pb.Healthz{}, shapeObject},
	"GET /api/health":                   {&pb.Health{}, shapeObject},
	"GET /api/stats":                    {&pb.Stats{}, shapeObject},
	"GET /api/perf":                     {&pb.Perf{}, shapeObject},
	"POST /api/perf/reset":              {&pb.Ok{}, shapeObject},
	"GET /api/perf/io":                  {&pb.PerfIO{}, shapeObject},
	"GET /api/perf/write-sources":       {&pb.WriteSources{}, shapeObject},
	"GET /api/config/cache":             {&structpb.Struct{}, shapeObject},
	"GET /api/config/client":            {&pb.ConfigClient{}, shapeObject},
	"GET /api/config/regions":           {&pb.ConfigRegionsMap{}, shapeEntries},
	"GET /api/config/theme":             {&pb.ConfigTheme{}, shapeObject},
	"GET /api/config/map":               {&pb.ConfigMap{}, shapeObject},
	"GET /api/config/geo-filter":        {&pb.GeoFilter{}, shapeObject},
	"GET /api/config/areas":             {&pb.AreaList{}, shapeItems},
	"GET /api/config/areas/polygons":    {&pb.AreaList{}, shapeItems},
	"GET /api/packets/timestamps":       {&pb.StringList{}, shapeItems},
	"GET /api/packets/{id}":             {&pb.PacketDetail{}, shapeObject},
	"POST /api/decode":                  {&pb.Decode{}, shapeObject},
	"POST /api/packets":                 {&pb.Inject{}, shapeObject},
	"GET /api/nodes":                    {&pb.NodeList{}, shapeObject},
	"GET /api/nodes/search":             {&pb.NodeSearch{}, shapeObject},
	"GET /api/nodes/bulk-health":        {&pb.BulkHealthList{}, shapeItems},
	"GET /api/nodes/{pubkey}":           {&pb.NodeDetail{}, shapeObject},
	"GET /api/nodes/{pubkey}/health":    {&pb.NodeHealth{}, shapeObject},
	"GET /api/nodes/{pubkey}/paths":     {&pb.NodePaths{}, shapeObject},
	"GET /api/nodes/{pubkey}/neighbors": {&pb.NodeNeighbors{}, shapeObject},
	"GET /api/resolve-hops":             {&pb.ResolvedHops{}, shapeObject},
	"GET /api/channels":                 {&pb.ChannelList{}, shapeObject},
	"GET /api/channels/{hash}/messages": {&pb.ChannelMessages{}, shapeObject},
	"GET /api/observers":                {&pb.ObserverList{}, shapeObject},
	"GET /api/observers/{id}":           {&pb.Observer{}, shapeObject},
	"GET /api/observer":                 {&pb.Observer{}, shapeObject},
	"GET /api/traces/{hash}":            {&pb.Traces{}, shapeObject},
	"GET /api/iata-coords":              {&pb.IataCoords{}, shapeObject},
	"GET /api/perf/sqlite":              {&pb.PerfSqlite{}, shapeObject},
	"GET /api/dropped-packets":          {&pb.DroppedPacketList{}, shapeItems},
	"POST /api/admin/prune-geo-filter":  {&pb.PruneGeoFilter{}, shapeObject},
	"GET /api/nodes/network-status":     {&pb.NetworkStatus{}, shapeObject},
	"GET /api/nodes/clock-skew":         {&pb.NodeClockSkewList{}, shapeItems},
	"GET /api/nodes/{pubkey}/analytics": {&pb.NodeAnalytics{}, shapeObject},
}

// schema is a JSON Schema (OpenAPI 3.1) node; map keeps the encoder simple
// for a document built once at startup.
type schema = map[string]any

// schemaGen collects component schemas by message name.
type schemaGen struct {
	comps map[string]schema
}

func newSchemaGen() *schemaGen { return &schemaGen{comps: map[string]schema{}} }

// response returns the schema of a route's body.
func (g *schemaGen) response(d respDoc) schema {
	md := d.msg.ProtoReflect().Descriptor()
	switch d.shape {
	case shapeItems, shapeEntries:
		name := "items"
		if d.shape == shapeEntries {
			name = "entries"
		}
		if fd := md.Fields().ByName(protoreflect.Name(name)); fd != nil {
			return g.field(fd, false)
		}
	}
	return g.ref(md, false)
}

// ref returns a $ref to md's component (building it once).
func (g *schemaGen) ref(md protoreflect.MessageDescriptor, nullable bool) schema {
	switch md.FullName() {
	case "google.protobuf.Struct":
		return typed("object", nullable)
	case "google.protobuf.Value":
		return schema{"type": []string{"object", "array", "string", "number", "integer", "boolean", "null"}} // any JSON value
	case "google.protobuf.ListValue":
		return typed("array", nullable)
	}
	name := string(md.Name())
	if _, ok := g.comps[name]; !ok {
		g.comps[name] = nil // placeholder: recursion ends here
		props := schema{}
		fields := md.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			props[jsonKey(fd)] = g.field(fd, true)
		}
		g.comps[name] = schema{"type": "object", "properties": props, "additionalProperties": false}
	}
	r := schema{"$ref": "#/components/schemas/" + name}
	if nullable {
		return schema{"anyOf": []any{r, schema{"type": "null"}}}
	}
	return r
}

// jsonKey is the key a field has in our JSON: its json_name when the proto
// sets one explicitly, else its name (api.proto names fields by their keys).
func jsonKey(fd protoreflect.FieldDescriptor) string {
	if fd.HasJSONName() && fd.JSONName() != lowerCamel(string(fd.Name())) {
		return fd.JSONName()
	}
	return string(fd.Name())
}

// lowerCamel is protoc's default json_name.
func lowerCamel(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

// field is a field's schema. Every field may be null: proto3 has no
// presence for JSON null, and the API sends null for unknown values.
func (g *schemaGen) field(fd protoreflect.FieldDescriptor, nullable bool) schema {
	switch {
	case fd.IsMap():
		s := typed("object", nullable)
		s["additionalProperties"] = g.value(fd.MapValue(), true)
		return s
	case fd.IsList():
		s := typed("array", nullable)
		s["items"] = g.value(fd, true)
		return s
	}
	return g.value(fd, nullable)
}

func (g *schemaGen) value(fd protoreflect.FieldDescriptor, nullable bool) schema {
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind:
		return typed("string", nullable)
	case protoreflect.BoolKind:
		return typed("boolean", nullable)
	case protoreflect.DoubleKind, protoreflect.FloatKind:
		return typed("number", nullable)
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return g.ref(fd.Message(), nullable)
	case protoreflect.EnumKind:
		s := schema{"type": []string{"string", "integer"}}
		if nullable {
			s["type"] = []string{"string", "integer", "null"}
		}
		return s
	}
	return typed("integer", nullable) // every int kind
}

func typed(t string, nullable bool) schema {
	if nullable {
		return schema{"type": []string{t, "null"}}
	}
	return schema{"type": t}
}
