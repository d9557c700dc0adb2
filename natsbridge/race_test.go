//go:build race

package natsbridge

const raceEnabled = true
