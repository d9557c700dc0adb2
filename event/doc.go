// Package event holds the message that flows through the engine and the hook
// that delivers it to handlers.
//
// # Handlers and calling conventions
//
// There is one kind of handler, Handler.Handle(Message): the message carries
// its topic, so the reference's two kinds of handler (with and without a
// topic argument, the latter called first) are not needed. The reference's
// retry_on_unexpected_topic exists because Python finds a signature
// mismatch only when it calls the handler; in Go the compiler checks every
// handler's signature, so there is nothing to retry and no such option.
//
// The reference's handlers fail by raising, which the hook logs and goes
// on. The Go counterparts are a panic, which the hook recovers, logs and
// counts (Stats.Panics), and, for a handler added with AddErrorFunc, a
// returned error, which the hook logs and counts the same way
// (Stats.Errors). ArgErr, KwargErr and ValueErr make such errors out of
// arguments that are missing or of another type.
//
// # Bound values
//
// A hook tells each message it delivers which hook that is, so a handler
// reads what its topic's wildcards bound without matching again:
// m.Param("symbol"), m.Params(), m.Rest() for a topic ending in >, and
// m.Pattern() for the topic itself.
//
// # Identity
//
// Go func values cannot be compared, and a func's code pointer is not an
// identity (two closures of one literal share it). So every registration
// returns an ID that removes exactly that registration; and handlers whose
// dynamic value is comparable (typically a pointer to a struct with a Handle
// method) also compare with ==, for de-duplication (AddUnique), Contains,
// RemoveHandler and StatsOf. Comparability is checked with reflect when the
// handler is added (and for the handler asked about), so == is never tried
// where it would panic; asking for the identity of a non-comparable handler
// gives ErrNotComparable or false.
//
// # Dispatch
//
// Trigger takes no lock: it reads an immutable snapshot of the handler list,
// and writers replace the snapshot (copy on write) under a mutex. A trigger
// calls exactly the handlers registered when it started. A handler that
// panics is recovered, logged and counted, and the remaining handlers run.
//
// # Panic storms
//
// Every panic is recovered and counted, per handler and per hook, however
// many there are. Logging is bounded: the first DefaultPanicDetail panics
// of each registration are logged in full (topic, hook, sequence id,
// handler ID and type, panic value, and the stack from the frame that
// panicked), and after them at most one summary record per registration
// every DefaultPanicSummary, with the panics since its last record, the
// total and the last value. A handler that panics on every message thus
// writes a few kilobytes and then a few short records a minute, and a
// panic costs the loop its recovery (some hundreds of nanoseconds:
// BenchmarkTriggerPanicking), not a stack trace and a log write. See
// WithPanicLog and WithClock.
//
// # Statistics
//
// A hook made with WithStats (the reference's EventHookEx) counts and times
// every handler call. Without it Trigger reads no clock and touches no
// counter except on a panic. Calls are timed with a monotonic tick counter:
// on amd64 the CPU's time-stamp counter when the CPU reports it invariant
// and a check finds it steady (a bare RDTSC costs a fraction of a
// clock_gettime on virtual machines), else the runtime's monotonic clock.
// The check busy-waits about a tenth of a millisecond when the first
// extended hook is made, not in every program that imports the package.
// Ticks are summed as they come and converted to a time.Duration when the
// statistics are read, at a rate measured once against the monotonic clock
// (the first read in a process may wait until 1 ms has passed since the
// first extended hook was made). One reading ends a call and starts the next, so n handlers cost
// n+1 readings per trigger, and each call's time includes a few
// nanoseconds of the hook's own bookkeeping. The counters only grow.
//
// An extended hook also keeps, per registration, the start and end of the
// last call, the longest call and a log-linear histogram of calls, in
// ticks (a bucket index is a bits.Len64 and a shift), converted when read
// (Stats.LastStart, LastEnd, Max, Buckets); with WithSlowHandler it warns,
// at most once a minute per handler, of calls past a threshold. Handlers
// are named in logs and Stats by the name given (AddNamed) or by their
// function (HandlerName), computed when they are added.
package event
