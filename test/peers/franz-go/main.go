// Command franz-probe drives franz-go (a strict, current Go client) against a broker: admin through
// kadm, an idempotent producer (franz-go's default), a group consumer that commits, and the features
// the embedded broker leaves out (a transactional producer; KIP-848 through ServerSideBalancer).
// scripts/install-test-deps.sh builds it into .test-deps/go/franz-probe and
// test/interop/franz-go.test.ts runs it. Every fact it observes goes to stdout as one JSON object
// per line, so the test decides what is right, not this program.
//
// Usage: franz-probe COMMAND BOOTSTRAP ARGS...
//
//	admin BOOTSTRAP TOPIC PARTITIONS     create, create again, describe the topic and the cluster
//	groups BOOTSTRAP                     list the groups with their state
//	produce BOOTSTRAP TOPIC COUNT        keyed records with headers, idempotent, acks=all
//	consume BOOTSTRAP TOPIC GROUP COUNT  a group member reads COUNT records, commits them, reads the commit back
//	transactional BOOTSTRAP TOPIC        a transactional producer begins a transaction and produces
//	server-side-balancer BOOTSTRAP TOPIC GROUP COUNT
//	                                     consume as a group member that opts into KIP-848
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// clientTimeout bounds every call: long enough that a client waiting out a timeout shows up as a hang
// in the test, not as a result.
const clientTimeout = 60 * time.Second

func main() {
	if len(os.Args) < 3 {
		fail("usage: franz-probe COMMAND BOOTSTRAP ARGS...")
	}
	command, bootstrap, args := os.Args[1], os.Args[2], os.Args[3:]
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	var err error
	switch command {
	case "admin":
		err = admin(ctx, bootstrap, args[0], atoi(args[1]))
	case "groups":
		err = groups(ctx, bootstrap)
	case "produce":
		err = produce(ctx, bootstrap, args[0], atoi(args[1]))
	case "consume":
		err = consume(ctx, bootstrap, args[0], args[1], atoi(args[2]))
	case "transactional":
		transactional(ctx, bootstrap, args[0])
	case "server-side-balancer":
		// Logged at info level to stderr, so the test can see the client try KIP-848 and fall back.
		err = consume(ctx, bootstrap, args[0], args[1], atoi(args[2]), kgo.ServerSideBalancer(),
			kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelInfo, nil)))
	default:
		err = fmt.Errorf("unknown command %s", command)
	}
	if err != nil {
		fail(err.Error())
	}
}

func admin(ctx context.Context, bootstrap, topic string, partitions int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	created, err := adm.CreateTopic(ctx, int32(partitions), 1, nil, topic)
	if err != nil {
		return fmt.Errorf("create %s: %w", topic, err)
	}
	print("created", "topic", created.Topic, "partitions", created.NumPartitions, "replicationFactor", created.ReplicationFactor)
	_, err = adm.CreateTopic(ctx, int32(partitions), 1, nil, topic)
	print("create-again", "topic", topic, "error", errorName(err))

	metadata, err := adm.Metadata(ctx, topic)
	if err != nil {
		return err
	}
	var described []map[string]any
	for _, p := range metadata.Topics[topic].Partitions.Sorted() {
		described = append(described, map[string]any{
			"partition": p.Partition, "leader": p.Leader, "replicas": p.Replicas, "isr": p.ISR,
		})
	}
	print("topic", "name", topic, "partitions", described)
	var brokers []map[string]any
	for _, b := range metadata.Brokers {
		brokers = append(brokers, map[string]any{"id": b.NodeID, "host": b.Host, "port": b.Port})
	}
	print("cluster", "clusterId", metadata.Cluster, "controller", metadata.Controller, "brokers", brokers)

	return nil
}

func groups(ctx context.Context, bootstrap string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		return err
	}
	defer cl.Close()
	listed, err := kadm.NewClient(cl).ListGroups(ctx)
	if err != nil {
		return err
	}
	for _, g := range listed.Sorted() {
		print("group", "group", g.Group, "state", g.State, "protocolType", g.ProtocolType, "coordinator", g.Coordinator)
	}
	return nil
}

// order is record i: key customer-(i mod 5), value order-i, headers trace and source.
func order(topic string, i int) *kgo.Record {
	return &kgo.Record{
		Topic: topic,
		Key:   []byte(fmt.Sprintf("customer-%d", i%5)),
		Value: []byte(fmt.Sprintf("order-%d", i)),
		Headers: []kgo.RecordHeader{
			{Key: "trace", Value: []byte(fmt.Sprintf("t-%d", i))},
			{Key: "source", Value: []byte("franz-go")},
		},
	}
}

func produce(ctx context.Context, bootstrap, topic string, count int) error {
	// Idempotence is franz-go's default; acks=all is what it requires.
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		return err
	}
	defer cl.Close()
	records := make([]*kgo.Record, count)
	for i := range records {
		records[i] = order(topic, i)
	}
	if err := cl.ProduceSync(ctx, records...).FirstErr(); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	for _, r := range records {
		printRecord("produced", r)
	}
	return nil
}

func consume(ctx context.Context, bootstrap, topic, group string, count int, extra ...kgo.Opt) error {
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(bootstrap),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
	}, extra...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	for seen := 0; seen < count; {
		fetches := cl.PollFetches(ctx)
		if err := fetches.Err0(); err != nil {
			return fmt.Errorf("poll after %d records: %w", seen, err)
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			return fmt.Errorf("fetch %s[%d]: %w", errs[0].Topic, errs[0].Partition, errs[0].Err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			printRecord("consumed", r)
			seen++
		})
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	committed, err := kadm.NewClient(cl).FetchOffsets(ctx, group)
	if err != nil {
		return err
	}
	offsets := map[string]int64{}
	committed.Each(func(o kadm.OffsetResponse) {
		offsets[fmt.Sprintf("%s-%d", o.Topic, o.Partition)] = o.At
	})
	print("committed", "group", group, "offsets", offsets)
	return nil
}

func transactional(ctx context.Context, bootstrap, topic string) {
	started := time.Now()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(bootstrap),
		kgo.TransactionalID("franz-probe-transactions"),
		kgo.RecordDeliveryTimeout(clientTimeout),
	)
	if err != nil {
		failed("NewClient", err, started)
		return
	}
	defer cl.Close()
	if err := cl.BeginTransaction(); err != nil {
		failed("BeginTransaction", err, started)
		return
	}
	// franz-go asks for its producer id when the first record of a transaction is produced.
	if err := cl.ProduceSync(ctx, order(topic, 0)).FirstErr(); err != nil {
		failed("ProduceSync", err, started)
		return
	}
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		failed("EndTransaction", err, started)
		return
	}
	print("transaction-committed", "elapsedMs", time.Since(started).Milliseconds())
}

func failed(call string, err error, started time.Time) {
	print("failed", "call", call, "error", errorName(err), "message", err.Error(), "elapsedMs", time.Since(started).Milliseconds())
}

// errorName is the Kafka error's name when err carries one (kerr), else the Go error text.
func errorName(err error) any {
	if err == nil {
		return nil
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "context deadline exceeded"
	}
	return err.Error()
}

func printRecord(event string, r *kgo.Record) {
	headers := map[string]string{}
	for _, h := range r.Headers {
		headers[h.Key] = string(h.Value)
	}
	print(event, "key", string(r.Key), "value", string(r.Value), "headers", headers,
		"partition", r.Partition, "offset", r.Offset, "producerId", r.ProducerID)
}

// print writes one JSON line: {"event": EVENT, NAME: VALUE, ...}.
func print(event string, namesAndValues ...any) {
	line := map[string]any{"event": event}
	for i := 0; i+1 < len(namesAndValues); i += 2 {
		line[namesAndValues[i].(string)] = namesAndValues[i+1]
	}
	out, err := json.Marshal(line)
	if err != nil {
		fail(err.Error())
	}
	fmt.Println(string(out))
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		fail(fmt.Sprintf("not a number: %s", s))
	}
	return n
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "franz-probe: "+strings.TrimSpace(message))
	os.Exit(1)
}
