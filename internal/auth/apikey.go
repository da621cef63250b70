package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// KeyPrefix starts every API key secret, so keys are recognisable in
// headers, logs and secret scanners.
const KeyPrefix = "vr_"

// keyAlphabet is base62: keys survive URLs, shells and copy-paste.
const keyAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// keyRandomLen characters of base62 carry ~238 bits.
const keyRandomLen = 40

// displayPrefixLen is how much of a secret is kept in clear to tell keys apart.
const displayPrefixLen = len(KeyPrefix) + 8

// NewKeySecret returns a fresh API key secret, its display prefix and the
// hex SHA-256 under which it is stored.
func NewKeySecret() (secret, prefix, hash string, err error) {
	buf := make([]byte, keyRandomLen)
	if _, err := rand.Read(buf); err != nil {
		return "", "", "", fmt.Errorf("generate api key: %w", err)
	}
	var b strings.Builder
	b.WriteString(KeyPrefix)
	for _, c := range buf {
		// 256 % 62 skews a few characters by <1%; the key keeps ~237 bits.
		b.WriteByte(keyAlphabet[int(c)%len(keyAlphabet)])
	}
	secret = b.String()
	return secret, secret[:displayPrefixLen], HashKey(secret), nil
}

// HashKey returns the hex SHA-256 of a key secret: how keys are looked up.
func HashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// IsKey reports whether a bearer credential looks like an API key rather
// than a login token.
func IsKey(credential string) bool { return strings.HasPrefix(credential, KeyPrefix) }
