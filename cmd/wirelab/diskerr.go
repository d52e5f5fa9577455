package main

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/wirelab/wirelab/engine/mailstore"
)

// markDiskError marks a full or read-only disk under --data with the
// mail store's errors for them, which the protocols answer in their own
// words (IMAP NO [OVERQUOTA] or [UNAVAILABLE], POP3 -ERR [SYS/TEMP]);
// engine code cannot name the system's error numbers itself.
func markDiskError(err error) error {
	switch {
	case err == nil, errors.Is(err, mailstore.ErrNoSpace), errors.Is(err, mailstore.ErrReadOnly):
		return err
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: %w", mailstore.ErrNoSpace, err)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %w", mailstore.ErrReadOnly, err)
	}
	return err
}
