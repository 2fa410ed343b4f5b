// Answers the questions test_tlog_against_go.py asks, with Go's own implementation of the formats
// (golang.org/x/mod/sumdb/tlog and sumdb/note, packaged in Debian as golang-golang-x-mod-dev):
// roots, inclusion and consistency proofs, tiles, and signed notes both ways.
package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type request struct {
	Entries     [][]byte   `json:"entries"`
	Inclusion   [][2]int64 `json:"inclusion"`
	Consistency [][2]int64 `json:"consistency"`
	Tiles       [][4]int64 `json:"tiles"` // level, index, width, tree size
	Notes       []struct {
		Vkey string `json:"vkey"`
		Note []byte `json:"note"`
	} `json:"notes"`
	SignText []byte `json:"sign_text"`
	SignName string `json:"sign_name"`
}

type response struct {
	Roots       [][]byte   `json:"roots"`
	Inclusion   [][][]byte `json:"inclusion"`
	Consistency [][][]byte `json:"consistency"`
	Tiles       [][]byte   `json:"tiles"`
	TilePaths   []string   `json:"tile_paths"`
	NotesOK     []bool     `json:"notes_ok"`
	SignedNote  []byte     `json:"signed_note"`
	SignedVkey  string     `json:"signed_vkey"`
}

type memory []tlog.Hash

func (m *memory) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x >= int64(len(*m)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = (*m)[x]
	}
	return out, nil
}

func hashes(list []tlog.Hash) [][]byte {
	out := make([][]byte, len(list))
	for i := range list {
		h := list[i]
		out[i] = h[:]
	}
	return out
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fail(err)
	}
	var res response
	store := &memory{}
	for i, entry := range req.Entries {
		stored, err := tlog.StoredHashes(int64(i), entry, store)
		if err != nil {
			fail(err)
		}
		*store = append(*store, stored...)
		root, err := tlog.TreeHash(int64(i+1), store)
		if err != nil {
			fail(err)
		}
		res.Roots = append(res.Roots, root[:])
	}
	for _, q := range req.Inclusion {
		proof, err := tlog.ProveRecord(q[1], q[0], store)
		if err != nil {
			fail(err)
		}
		res.Inclusion = append(res.Inclusion, hashes(proof))
	}
	for _, q := range req.Consistency {
		proof, err := tlog.ProveTree(q[1], q[0], store)
		if err != nil {
			fail(err)
		}
		res.Consistency = append(res.Consistency, hashes(proof))
	}
	for _, q := range req.Tiles {
		tile := tlog.Tile{H: 8, L: int(q[0]), N: q[1], W: int(q[2])}
		data, err := tlog.ReadTileData(tile, store)
		if err != nil {
			fail(err)
		}
		res.Tiles = append(res.Tiles, data)
		res.TilePaths = append(res.TilePaths, tile.Path())
	}
	for _, n := range req.Notes {
		verifier, err := note.NewVerifier(n.Vkey)
		if err != nil {
			fail(err)
		}
		_, err = note.Open(n.Note, note.VerifierList(verifier))
		res.NotesOK = append(res.NotesOK, err == nil)
	}
	if req.SignName != "" {
		skey, vkey, err := note.GenerateKey(rand.Reader, req.SignName)
		if err != nil {
			fail(err)
		}
		signer, err := note.NewSigner(skey)
		if err != nil {
			fail(err)
		}
		signed, err := note.Sign(&note.Note{Text: string(req.SignText)}, signer)
		if err != nil {
			fail(err)
		}
		res.SignedNote, res.SignedVkey = signed, vkey
	}
	if err := json.NewEncoder(os.Stdout).Encode(&res); err != nil {
		fail(err)
	}
}
