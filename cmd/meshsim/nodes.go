package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/corescope/corescope/internal/meshsim"
)

type nodeJSON struct {
	PubKey      string  `json:"pubkey"`
	Name        string  `json:"name"`
	Role        string  `json:"role"`
	IATA        string  `json:"iata"`
	Lat         float64 `json:"lat"`
	Lon         float64 `json:"lon"`
	HasLocation bool    `json:"hasLocation"`
	HashSize    int     `json:"hashSize"`
}

type observerJSON struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	IATA          string `json:"iata"`
	Model         string `json:"model"`
	Firmware      string `json:"firmware"`
	ClientVersion string `json:"clientVersion"`
}

func runNodes(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("nodes", flag.ContinueOnError)
	var f simFlags
	f.register(fs, false)
	fs.Usage = usage(fs, stderr, "Usage: meshsim nodes [--seed S --nodes 400 --observers 10]\nPrints {\"nodes\": [...], \"observers\": [...]} as JSON.")
	set, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	f.hours = 24
	o, err := f.options(set)
	if err != nil {
		fmt.Fprintln(stderr, "meshsim nodes:", err)
		return errUsage
	}
	sim := meshsim.New(o)
	var out struct {
		Nodes     []nodeJSON     `json:"nodes"`
		Observers []observerJSON `json:"observers"`
	}
	for _, n := range sim.Nodes() {
		out.Nodes = append(out.Nodes, nodeJSON{n.PubKey, n.Name, string(n.Role), n.IATA, n.Lat, n.Lon, n.HasLocation, n.HashSize})
	}
	for _, ob := range sim.Observers() {
		out.Observers = append(out.Observers, observerJSON{ob.ID, ob.Name, ob.IATA, ob.Model, ob.Firmware, ob.ClientVersion})
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write nodes: %w", err)
	}
	return nil
}
