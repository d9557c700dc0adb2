//go:build !race

package natsbridge

const raceEnabled = false
