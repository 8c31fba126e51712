package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/corescope/corescope/internal/channel"
	"github.com/corescope/corescope/internal/meshcore"
)

const decodeUsage = `Usage: ingestor decode [--key NAME=HEX]... [--hashtag NAME]... [--no-builtin-keys] [HEX...]

Decode MeshCore packets offline (no MQTT, no database). Each HEX argument is
one raw packet; spaces inside it are ignored. With no HEX arguments, packets
are read from standard input, one per line (blank lines skipped).

For each packet one JSON line is printed:
  {"hash":"…","decoded":{"header":…,"path":…,"payload":…},"breakdown":[…]}
or {"error":"…"} when the input is not a valid packet. The exit status is 1
if any input failed, 2 on bad flags, else 0.

Group channels: the Public key and a built-in list of common #hashtag
channels are tried automatically (see internal/channel.CommonHashtags).

Flags:
`

// keyFlags collects repeated --key NAME=HEX flags.
type keyFlags map[string]string

func (k keyFlags) String() string { return fmt.Sprint(len(k), " keys") }

func (k keyFlags) Set(s string) error {
	name, hexKey, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return errors.New("want NAME=HEX, e.g. #mychannel=00112233445566778899aabbccddeeff")
	}
	if _, err := channel.ParseSecret(hexKey); err != nil {
		return err
	}
	k[strings.TrimSpace(name)] = strings.TrimSpace(hexKey)
	return nil
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// decodeLine is one line of `ingestor decode` output.
type decodeLine struct {
	Hash      string                 `json:"hash"`
	Decoded   *meshcore.DecodeResult `json:"decoded"`
	Breakdown []meshcore.Field       `json:"breakdown"`
}

type errorLine struct {
	Error string `json:"error"`
}

// runDecode implements `ingestor decode`; args exclude the "decode" word.
// It returns the process exit code.
func runDecode(args []string, stdout, stderr io.Writer) int {
	return runDecodeFrom(args, os.Stdin, stdout, stderr)
}

func runDecodeFrom(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keys := keyFlags{}
	var hashtags listFlag
	fs.Var(keys, "key", "channel key `NAME=HEX` (32 hex digits); repeatable")
	fs.Var(&hashtags, "hashtag", "hashtag channel `NAME` whose key is derived; repeatable")
	noBuiltins := fs.Bool("no-builtin-keys", false, "do not try the Public key and the built-in #hashtag list")
	fs.Usage = func() {
		fmt.Fprint(stderr, decodeUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	kr, err := channel.New(channel.Config{NoBuiltins: *noBuiltins, HashChannels: hashtags, Keys: keys})
	if err != nil {
		fmt.Fprintf(stderr, "decode: %v\n", err)
		return 2
	}
	opts := meshcore.Options{Keys: kr}

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	failed := 0
	decodeOne := func(in string) {
		if err := writeDecoded(enc, in, opts); err != nil {
			failed++
			_ = enc.Encode(errorLine{Error: err.Error()})
		}
	}
	if fs.NArg() > 0 {
		for _, in := range fs.Args() {
			decodeOne(in)
		}
	} else {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				decodeOne(line)
			}
		}
		if err := sc.Err(); err != nil {
			fmt.Fprintf(stderr, "decode: read stdin: %v\n", err)
			failed++
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

func writeDecoded(enc *json.Encoder, in string, opts meshcore.Options) error {
	p, err := meshcore.DecodeHex(in, opts)
	if err != nil {
		return err
	}
	res := p.Result()
	return enc.Encode(decodeLine{Hash: p.Hash, Decoded: &res, Breakdown: p.Breakdown()})
}
