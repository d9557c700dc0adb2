package wire

import (
	"sync"
	"time"
)

// zones caches the fixed zones that decoded times get, so that decoding a
// zoned time does not allocate a *time.Location each time. It keeps at most
// maxZones zones (real programs use a handful); past that, zones are made
// afresh.
var zones struct {
	sync.Mutex
	m map[zoneKey]*time.Location
}

const maxZones = 256

type zoneKey struct {
	name string
	off  int
}

// fixedZone returns time.FixedZone(name, off), from the cache when it can;
// "UTC" at offset 0 is time.UTC.
func fixedZone(name string, off int) *time.Location {
	if off == 0 && name == "UTC" {
		return time.UTC
	}
	k := zoneKey{name, off}
	zones.Lock()
	defer zones.Unlock()
	if l, ok := zones.m[k]; ok {
		return l
	}
	l := time.FixedZone(name, off)
	if zones.m == nil {
		zones.m = make(map[zoneKey]*time.Location)
	}
	if len(zones.m) < maxZones {
		k.name = string([]byte(name)) // do not keep a decoded payload alive
		zones.m[k] = l
	}
	return l
}
