// Package natsbridge connects an [engine.Engine] to NATS: local messages on
// configured topics are exported as NATS messages, and NATS subjects are
// imported as puts on the local engine. It lives in a module of its own so
// that the core module keeps depending on the standard library only.
package natsbridge

import _ "github.com/eventengine/eventengine/engine"
