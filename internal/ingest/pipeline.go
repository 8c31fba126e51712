package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// item is one message on its way to the database. It is built (parsed,
// decoded, turned into rows) by a prepare worker, so decoding runs in
// parallel; only the write is serialised.
type item struct {
	msg   mqtt.Message // acknowledged after the batch holding it has committed
	src   *source
	topic string
	rec   record
	err   error // set by the storer when the database rejected this item's rows

	failures int   // rounds in which this item failed alone while others were written
	lastErr  error // the last single-item write error
}

// storer writes a batch of items in one transaction. A returned error means
// the transaction did not commit (nothing of the batch is stored); an item
// whose rows were rejected individually gets item.err set and the rest of the
// batch still commits.
type storer interface {
	store(ctx context.Context, items []*item) error
}

// rawMsg is an MQTT message waiting for a prepare worker.
type rawMsg struct {
	src *source
	msg mqtt.Message
}

// handle is the paho message handler of every source. Paho runs it on a
// fresh goroutine per message (SetOrderMatters(false)); it only hands the
// message to the prepare workers, so those short-lived goroutines never grow
// their stacks (stack copying was 6 % of the ingest profile). Blocking here
// on a full hand-off applies backpressure without stalling paho's keepalive:
// the broker stops sending once max_inflight_messages are unacknowledged.
func (ing *Ingestor) handle(s *source, m mqtt.Message) {
	ing.ctr.received.Add(1)
	select {
	case <-ing.stopping:
		return // checked first: a select with both ready picks at random
	default:
	}
	select {
	case ing.raw <- rawMsg{s, m}:
	case <-ing.stopping:
		// Shutting down: leave it unacknowledged; the broker redelivers it to
		// the persistent session on the next start.
	}
}

// prepareLoop is one prepare worker: parse, filter, decode, build rows (in
// parallel with the other workers), then queue for the writer.
func (ing *Ingestor) prepareLoop() {
	for {
		select {
		case r := <-ing.raw:
			ing.process(r.src, r.msg)
		case <-ing.stopping:
			return
		}
	}
}

func (ing *Ingestor) process(s *source, m mqtt.Message) {
	defer func() {
		if r := recover(); r != nil {
			ing.log.Error("message handler panic", "panic", r, "topic", redactTopic(m.Topic()), "stack", string(debug.Stack()))
			ing.dropMessage(s, m.Topic(), &DropError{Reason: DropDecodeError, Err: fmt.Errorf("panic: %v", r)})
			ing.ack(m)
		}
	}()
	it, err := ing.prepare(s, m.Topic(), m.Payload(), m.Retained())
	if err != nil {
		ing.dropMessage(s, m.Topic(), err)
		ing.ack(m) // bad input never becomes good: don't let the broker redeliver it
		return
	}
	it.msg, it.src = m, s
	select {
	case <-ing.stopping:
		return
	default:
	}
	select {
	case ing.queue <- it:
	case <-ing.stopping:
	}
}

func (ing *Ingestor) ack(m mqtt.Message) {
	if m != nil {
		m.Ack()
	}
	ing.ctr.acked.Add(1)
}

// dropMessage counts a dropped message and logs it, rate-limited per reason.
func (ing *Ingestor) dropMessage(s *source, topic string, err error) {
	reason := DropReason(err)
	ing.ctr.drop(reason)
	if s != nil {
		s.dropped.Add(1)
		s.outcomes.drop(reason)
	}
	switch reason {
	case DropIgnoredTopic, DropUnknownTopic, DropIATAFiltered:
		return // expected traffic (bridge debug topics, other regions): counted, not logged
	}
	if ok, suppressed := ing.logLimit.allow(reason, time.Now()); ok {
		attrs := []any{"reason", reason, "topic", redactTopic(topic)}
		if suppressed > 0 {
			attrs = append(attrs, "suppressed", suppressed)
		}
		var de *DropError
		if errors.As(err, &de) {
			err = de.Err
		}
		if err != nil {
			attrs = append(attrs, "err", err)
		}
		if s != nil {
			attrs = append(attrs, "source", s.cfg.Name)
		}
		ing.log.Warn("message dropped", attrs...)
	}
}

// redactTopic shortens the observer segment to 8 characters: full observer
// ids are never logged (INGEST §5.1).
func redactTopic(topic string) string {
	segs, n := splitTopic(topic)
	if n >= 3 && len(segs[2]) > 8 {
		out := segs[0] + "/" + segs[1] + "/" + segs[2][:8] + "…"
		if n == 4 {
			out += "/" + segs[3]
		}
		return out
	}
	return topic
}

// writeLoop is the single writer: it collects items into batches of up to
// batchSize new messages (waiting at most batchDelay after the first), writes
// each batch in one transaction and acknowledges its messages after the
// commit. Messages that could not be written are carried into the next
// batch (see flush). It returns when writerStop is closed (after the prepare
// workers have exited) and the queue is drained.
func (ing *Ingestor) writeLoop() {
	var carry []*item
	backoff := minBackoff
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var first *item
		var retry <-chan time.Time
		if len(carry) > 0 {
			retry = time.After(backoff) // retry the carried messages even if nothing new arrives
		}
		select {
		case first = <-ing.queue:
		case <-retry:
		case <-ing.writerStop:
			ing.drain(carry)
			return
		}
		batch := make([]*item, 0, len(carry)+ing.batchSize)
		batch = append(batch, carry...)
		if first != nil {
			batch = append(batch, first)
			timer.Reset(ing.batchDelay)
		collect:
			for n := 1; n < ing.batchSize; n++ {
				select {
				case it := <-ing.queue:
					batch = append(batch, it)
				case <-timer.C:
					break collect
				case <-ing.writerStop:
					break collect
				}
			}
			timer.Stop()
		}
		carry = ing.flush(batch)
		if len(carry) > 0 {
			backoff = min(backoff*2, maxBackoff)
		} else {
			backoff = minBackoff
		}
	}
}

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// drain writes whatever the workers managed to enqueue before shutdown, plus
// the carried messages. If the database keeps failing it gives up at
// hardStop; unacknowledged messages are redelivered by the broker.
func (ing *Ingestor) drain(carry []*item) {
	backoff := minBackoff
	for {
		batch := append([]*item(nil), carry...)
	fill:
		for n := 0; n < ing.batchSize; n++ {
			select {
			case it := <-ing.queue:
				batch = append(batch, it)
			default:
				break fill
			}
		}
		if len(batch) == 0 {
			return
		}
		carry = ing.flush(batch)
		if len(carry) == 0 {
			backoff = minBackoff
			continue
		}
		select {
		case <-time.After(backoff):
			backoff = min(backoff*2, maxBackoff)
		case <-ing.hardStop:
			ing.log.Error("giving up on unwritten messages at shutdown; the broker will redeliver them", "items", len(carry))
			return
		}
	}
}

// flush writes one batch in one transaction and acknowledges it. If the
// transaction fails, every message is written on its own so that one poison
// message cannot hold back the others; those that still fail are returned to
// be carried into the next batch. A message is abandoned (acknowledged and
// counted as a write error) only after it failed in three rounds in which
// other messages were written, which proves the database itself works. When
// nothing can be written the database is broken (disk full, I/O error):
// nothing is acknowledged, the broker stops at its in-flight window, and
// intake resumes without loss once the database works again.
func (ing *Ingestor) flush(batch []*item) []*item {
	if len(batch) == 0 {
		return nil
	}
	ctx := context.Background() // a shutdown must still be able to commit the last batch
	t0 := time.Now()
	err := ing.st.store(ctx, batch)
	ing.observeBatch(len(batch), time.Since(t0))
	if err == nil {
		ing.ctr.walCommits.Add(1)
		ing.finish(batch)
		return nil
	}
	ing.ctr.batchRetries.Add(1)
	ing.log.Warn("batch write failed; writing its messages one by one", "items", len(batch), "err", err)
	var failed []*item
	written := 0
	for _, it := range batch {
		one := []*item{it}
		if err := ing.st.store(ctx, one); err != nil {
			it.lastErr = err
			failed = append(failed, it)
			continue
		}
		written++
		ing.ctr.walCommits.Add(1)
		ing.finish(one)
	}
	if written == 0 {
		return failed // the database is broken, not the messages: no evidence against any of them
	}
	left := failed[:0]
	for _, it := range failed {
		it.failures++
		if it.failures >= 3 {
			it.err = it.lastErr
			ing.finish([]*item{it})
			continue
		}
		left = append(left, it)
	}
	if len(left) > 0 {
		ing.log.Warn("messages failed while others were written; retrying with the next batch",
			"failed", len(left), "written", written, "err", left[0].lastErr)
	}
	return left
}

// finish counts and acknowledges committed items.
func (ing *Ingestor) finish(batch []*item) {
	for _, it := range batch {
		if it.err != nil {
			ing.ctr.writeErrors.Add(1)
			if it.src != nil {
				it.src.errors.Add(1)
			}
			ing.dropMessage(it.src, it.topic, &DropError{Reason: DropWriteError, Err: it.err})
		} else if d := it.rec.dropped; d != nil {
			ing.dropMessage(it.src, it.topic, &DropError{Reason: DropBadSignature,
				Err: fmt.Errorf("advert from %s (%q) has an invalid signature", short(d.NodePubkey), d.NodeName)})
		} else if it.src != nil {
			it.src.outcomes.stored.Add(1)
		}
		ing.ack(it.msg)
	}
}

// logger returns l or a discarding logger.
func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
