package auth

import (
	"fmt"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// BcryptCost is the work factor for new password hashes.
const BcryptCost = 11

// MinPasswordLen and MaxPasswordLen bound accepted passwords; bcrypt reads at
// most 72 bytes, so longer ones are refused rather than silently truncated.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

// HashPassword returns the bcrypt hash of password.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// dummyHash is compared against when the account does not exist, so that an
// unknown email takes as long as a wrong password. It is made on first use,
// not at package init: every sandbox start re-executes this binary, and a
// bcrypt hash there would cost each cold start ~100 ms.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("voltrun-timing-equaliser"), BcryptCost)
	return h
})

// CheckPassword reports whether password matches hash. An empty hash (no
// such account) still costs one bcrypt comparison.
func CheckPassword(hash, password string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
