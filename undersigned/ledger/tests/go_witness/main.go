// A transparency log witness for the tests of undersigned/ledger/witness_client.py, written from
// the C2SP specifications rather than from our Python code, so that the two can disagree:
//
//   - tlog-witness: POST <prefix>/add-checkpoint, its request body and its status codes;
//   - tlog-checkpoint and signed-note: the log's Ed25519 signature is checked with Go's
//     golang.org/x/mod/sumdb/note, the consistency proof with golang.org/x/mod/sumdb/tlog
//     (Debian's golang-golang-x-mod-dev);
//   - tlog-cosignature: the answer is a timestamped Ed25519 cosignature (signature type 0x04),
//     made here with crypto/ed25519, as x/mod's note package knows no cosignatures.
//
// Usage: go_witness -log <vkey> [-log <vkey>...] [-name <key name>] [-seed <64 hex>] [-state <file>]
// [-listen 127.0.0.1:0]. Each log's origin is its key's name. Once listening, the witness prints
// one JSON line, {"url": "http://127.0.0.1:<port>", "vkey": "<its cosignature vkey>"}, on stdout.
// With -state, the latest cosigned size and root of each origin are kept in that file (written
// before each answer) and read back at start; without it they live in memory.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const (
	maxBody       = 1 << 20
	maxProofLines = 63
	cosignatureV1 = 0x04
	sizeMediaType = "text/x.tlog.size"
)

// treeHead is what the witness remembers of a log: the latest checkpoint it cosigned.
type treeHead struct {
	Size int64  `json:"size"`
	Hash []byte `json:"hash"`
}

type witness struct {
	name      string
	key       ed25519.PrivateKey
	logs      map[string]note.Verifiers // by origin
	statePath string

	mu    sync.Mutex // held from the old-size check to the persisted update, as the spec asks
	heads map[string]treeHead
}

// httpError is an answer other than 200: its status, and a body (and type) to send.
type httpError struct {
	status      int
	body        string
	contentType string
}

func refuse(status int, format string, args ...interface{}) *httpError {
	return &httpError{status: status, body: fmt.Sprintf(format, args...) + "\n", contentType: "text/plain; charset=utf-8"}
}

func (w *witness) cosignatureKeyID() []byte {
	// SHA-256(name || "\n" || 0x04 || public key)[:4], as tlog-cosignature defines it.
	input := append([]byte(w.name+"\n"), cosignatureV1)
	input = append(input, w.key.Public().(ed25519.PublicKey)...)
	sum := sha256.Sum256(input)
	return sum[:4]
}

func (w *witness) vkey() string {
	material := append([]byte{cosignatureV1}, w.key.Public().(ed25519.PublicKey)...)
	return fmt.Sprintf("%s+%s+%s", w.name, hex.EncodeToString(w.cosignatureKeyID()), base64.StdEncoding.EncodeToString(material))
}

// cosign makes a tlog-cosignature v1 line over a checkpoint's note text.
func (w *witness) cosign(text []byte, timestamp uint64) string {
	message := []byte(fmt.Sprintf("cosignature/v1\ntime %d\n", timestamp))
	message = append(message, text...)
	signature := make([]byte, 0, 4+8+ed25519.SignatureSize)
	signature = append(signature, w.cosignatureKeyID()...)
	signature = binary.BigEndian.AppendUint64(signature, timestamp)
	signature = append(signature, ed25519.Sign(w.key, message)...)
	return "\u2014 " + w.name + " " + base64.StdEncoding.EncodeToString(signature) + "\n"
}

// request is an add-checkpoint body, split but not yet checked against any state.
type request struct {
	oldSize    int64
	proof      tlog.TreeProof
	checkpoint []byte
}

func decimal(text string) (int64, bool) {
	if text == "" || (len(text) > 1 && text[0] == '0') || strings.TrimLeft(text, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(text, 10, 64)
	return n, err == nil
}

func parseRequest(body []byte) (*request, *httpError) {
	var req request
	rest := body
	line := func() (string, bool) {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return "", false
		}
		l := string(rest[:i])
		rest = rest[i+1:]
		return l, true
	}
	old, ok := line()
	if !ok || !strings.HasPrefix(old, "old ") {
		return nil, refuse(http.StatusBadRequest, "the body starts with an 'old <size>' line")
	}
	if req.oldSize, ok = decimal(strings.TrimPrefix(old, "old ")); !ok {
		return nil, refuse(http.StatusBadRequest, "the old size is a decimal number without leading zeros")
	}
	for {
		l, ok := line()
		if !ok {
			return nil, refuse(http.StatusBadRequest, "the proof ends with an empty line before the checkpoint")
		}
		if l == "" {
			break
		}
		if len(req.proof) == maxProofLines {
			return nil, refuse(http.StatusBadRequest, "at most %d consistency proof lines", maxProofLines)
		}
		raw, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(raw) != tlog.HashSize {
			return nil, refuse(http.StatusBadRequest, "a consistency proof line is one base64 hash")
		}
		var h tlog.Hash
		copy(h[:], raw)
		req.proof = append(req.proof, h)
	}
	req.checkpoint = rest
	return &req, nil
}

// checkpoint is the body of a tlog-checkpoint: origin, size, root hash, then extension lines.
type checkpoint struct {
	origin string
	size   int64
	hash   tlog.Hash
}

func parseCheckpoint(text string) (*checkpoint, bool) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return nil, false
	}
	for _, l := range lines[:len(lines)-1] {
		if l == "" {
			return nil, false
		}
	}
	size, ok := decimal(lines[1])
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if !ok || err != nil || len(raw) != tlog.HashSize {
		return nil, false
	}
	c := &checkpoint{origin: lines[0], size: size}
	copy(c.hash[:], raw)
	return c, true
}

func (w *witness) addCheckpoint(body []byte) (string, *httpError) {
	req, bad := parseRequest(body)
	if bad != nil {
		return "", bad
	}
	// The origin decides which keys to trust, so it is read before the note is opened.
	origin := string(req.checkpoint)
	if i := strings.IndexByte(origin, '\n'); i >= 0 {
		origin = origin[:i]
	}
	verifiers, known := w.logs[origin]
	if !known {
		return "", refuse(http.StatusNotFound, "unknown log origin %q", origin)
	}
	n, err := note.Open(req.checkpoint, verifiers)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		if errors.As(err, &unverified) || errors.As(err, &invalid) {
			return "", refuse(http.StatusForbidden, "no valid signature of the log: %v", err)
		}
		return "", refuse(http.StatusBadRequest, "the checkpoint is not a signed note: %v", err)
	}
	if !everyTrustedSignatureVerifies(req.checkpoint, n.Text, verifiers) {
		return "", refuse(http.StatusForbidden, "a signature of the log's key does not verify")
	}
	c, ok := parseCheckpoint(n.Text)
	if !ok || c.origin != origin {
		return "", refuse(http.StatusBadRequest, "the note is not a checkpoint")
	}
	if req.oldSize > c.size {
		return "", refuse(http.StatusBadRequest, "the old size %d is larger than the checkpoint's %d", req.oldSize, c.size)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	head := w.heads[origin]
	if req.oldSize != head.Size {
		return "", &httpError{status: http.StatusConflict, body: fmt.Sprintf("%d\n", head.Size), contentType: sizeMediaType}
	}
	if c.size == 0 && c.hash != tlog.Hash(sha256.Sum256(nil)) {
		return "", refuse(http.StatusUnprocessableEntity, "an empty tree's root is the hash of nothing")
	}
	switch {
	case req.oldSize == 0:
		if len(req.proof) != 0 {
			return "", refuse(http.StatusUnprocessableEntity, "a proof from the empty tree is empty")
		}
	default:
		var oldHash tlog.Hash
		copy(oldHash[:], head.Hash)
		// CheckTree(proof, new size, new hash, old size, old hash); equal sizes need an empty proof
		// and equal roots.
		if err := tlog.CheckTree(req.proof, c.size, c.hash, req.oldSize, oldHash); err != nil {
			return "", refuse(http.StatusUnprocessableEntity, "the consistency proof does not verify: %v", err)
		}
	}
	next := treeHead{Size: c.size, Hash: append([]byte(nil), c.hash[:]...)}
	if err := w.persist(origin, next); err != nil {
		return "", refuse(http.StatusInternalServerError, "cannot keep the new checkpoint: %v", err)
	}
	w.heads[origin] = next
	return w.cosign([]byte(n.Text), uint64(time.Now().Unix())), nil
}

// everyTrustedSignatureVerifies checks each signature line of a trusted key, as the spec asks:
// note.Open skips a second line of the same key without checking it.
func everyTrustedSignatureVerifies(signed []byte, text string, verifiers note.Verifiers) bool {
	for _, line := range strings.Split(strings.TrimSuffix(string(signed[len(text)+1:]), "\n"), "\n") {
		name, b64, _ := strings.Cut(strings.TrimPrefix(line, "\u2014 "), " ")
		sig, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(sig) < 5 {
			return false // note.Open accepted the lines, so this is not reached
		}
		v, err := verifiers.Verifier(name, binary.BigEndian.Uint32(sig[:4]))
		if err == nil && !v.Verify([]byte(text), sig[4:]) {
			return false
		}
	}
	return true
}

// persist writes every head, with origin's replaced by next, to the state file (if any); the
// caller holds w.mu and updates memory only once this succeeded.
func (w *witness) persist(origin string, next treeHead) error {
	if w.statePath == "" {
		return nil
	}
	heads := make(map[string]treeHead, len(w.heads)+1)
	for o, h := range w.heads {
		heads[o] = h
	}
	heads[origin] = next
	data, err := json.Marshal(heads)
	if err != nil {
		return err
	}
	temporary := w.statePath + ".new"
	if err := os.WriteFile(temporary, data, 0o600); err != nil {
		return err
	}
	return os.Rename(temporary, w.statePath)
}

func (w *witness) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/add-checkpoint" {
		http.NotFound(rw, r)
		return
	}
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		http.Error(rw, "add-checkpoint is a POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		http.Error(rw, "the body is unreadable or too large", http.StatusBadRequest)
		return
	}
	cosignature, refusal := w.addCheckpoint(body)
	if refusal != nil {
		rw.Header().Set("Content-Type", refusal.contentType)
		rw.WriteHeader(refusal.status)
		io.WriteString(rw, refusal.body)
		return
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(rw, cosignature)
}

type vkeys []string

func (v *vkeys) String() string     { return strings.Join(*v, ",") }
func (v *vkeys) Set(s string) error { *v = append(*v, s); return nil }

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "go_witness: "+format+"\n", args...)
	os.Exit(2)
}

func main() {
	var logKeys vkeys
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	name := flag.String("name", "witness.example/go", "the witness's key name")
	seedHex := flag.String("seed", "", "the witness's Ed25519 seed, 64 hex digits (random if empty)")
	statePath := flag.String("state", "", "file keeping the latest cosigned checkpoint of each log")
	flag.Var(&logKeys, "log", "a log's verifier key; its name is the log's origin (repeatable)")
	flag.Parse()
	if len(logKeys) == 0 {
		fail("at least one -log vkey")
	}

	w := &witness{name: *name, logs: map[string]note.Verifiers{}, heads: map[string]treeHead{}}
	if *seedHex == "" {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			fail("%v", err)
		}
		w.key = key
	} else {
		seed, err := hex.DecodeString(*seedHex)
		if err != nil || len(seed) != ed25519.SeedSize {
			fail("-seed is %d bytes in hex", ed25519.SeedSize)
		}
		w.key = ed25519.NewKeyFromSeed(seed)
	}
	byOrigin := map[string][]note.Verifier{}
	for _, k := range logKeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			fail("-log %q: %v", k, err)
		}
		byOrigin[v.Name()] = append(byOrigin[v.Name()], v)
	}
	for origin, list := range byOrigin {
		w.logs[origin] = note.VerifierList(list...)
	}
	if *statePath != "" {
		w.statePath, _ = filepath.Abs(*statePath)
		data, err := os.ReadFile(w.statePath)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			fail("%v", err)
		default:
			if err := json.Unmarshal(data, &w.heads); err != nil {
				fail("%s: %v", w.statePath, err)
			}
		}
	}

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		fail("%v", err)
	}
	announce, _ := json.Marshal(map[string]string{"url": "http://" + listener.Addr().String(), "vkey": w.vkey()})
	fmt.Println(string(announce))
	if err := http.Serve(listener, w); err != nil {
		fail("%v", err)
	}
}
