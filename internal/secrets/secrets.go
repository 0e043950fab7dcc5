// Package secrets seals stored credentials with AES-256-GCM under a key
// kept outside the database (a file or an environment variable).
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the AES-256 key length in bytes.
const KeySize = 32

// keyPrefix marks the file format so a wrong file is recognised at once.
const keyPrefix = "mailsync-key-v1:"

// Box seals and opens secrets with one key.
type Box struct {
	aead cipher.AEAD
}

// NewKey returns a new random key in the key file format.
func NewKey() string {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return keyPrefix + base64.StdEncoding.EncodeToString(k) + "\n"
}

// ParseKey reads a key in the key file format.
func ParseKey(text string) ([]byte, error) {
	s := strings.TrimSpace(text)
	if !strings.HasPrefix(s, keyPrefix) {
		return nil, errors.New("not a mailsync key (expected a line starting with " + keyPrefix + "; make one with `mailsync keygen`)")
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, keyPrefix))
	if err != nil || len(k) != KeySize {
		return nil, fmt.Errorf("malformed mailsync key: want %d bytes in base64", KeySize)
	}
	return k, nil
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// LoadFile reads a key file.
func LoadFile(path string) (*Box, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret key: %w", err)
	}
	key, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("secret key %s: %w", path, err)
	}
	return New(key)
}

// LoadOrCreateFile reads a key file, creating it (mode 0600) when it does
// not exist: the SQLite default keeps its key next to the database.
func LoadOrCreateFile(path string) (*Box, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = f.WriteString(NewKey())
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("create secret key file %s: %w", path, err)
		}
	}
	return LoadFile(path)
}

// Seal encrypts plaintext; the result is base64 text, nonce first.
func (b *Box) Seal(plaintext string) string {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.StdEncoding.EncodeToString(b.aead.Seal(nonce, nonce, []byte(plaintext), nil))
}

// Open decrypts what Seal made.
func (b *Box) Open(sealed string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", errors.New("stored secret is malformed")
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", errors.New("stored secret cannot be decrypted: wrong secret key?")
	}
	return string(plain), nil
}
