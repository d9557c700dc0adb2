//go:build !linux

package main

import "os"

// termSize reports no size where it is not implemented: the live view then
// assumes a terminal of at least 80 columns and viewHeight rows.
func termSize(*os.File) (cols, rows int, ok bool) { return 0, 0, false }
