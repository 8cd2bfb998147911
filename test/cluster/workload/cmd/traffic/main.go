// traffic sends N gRPC calls to a service through istiod (xds:///) and prints where they went.
//
//	traffic SERVICE [-n NAMESPACE] [--count N] [-H name:value]... [--port P] [--xds HOST:PORT] [-o text|json]
//
// SERVICE is a short name (resolved in -n) or <svc>.<ns>.svc.cluster.local. Every run is a new process
// with a new xDS client, so it starts from istiod's current configuration.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	_ "google.golang.org/grpc/xds" // the xds:/// resolver and its balancers

	"kubectl-gray/test/cluster/workload/internal/api"
	"kubectl-gray/test/cluster/workload/internal/mesh"
	"kubectl-gray/test/cluster/workload/internal/split"
)

type headerList []string

func (h *headerList) String() string { return strings.Join(*h, ",") }
func (h *headerList) Set(v string) error {
	if k, _, ok := strings.Cut(v, ":"); !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("header %q is not name:value", v)
	}
	*h = append(*h, v)
	return nil
}

func usage(fs *flag.FlagSet) func() {
	return func() {
		fmt.Fprintf(fs.Output(), `Usage: traffic SERVICE [flags]

Sends --count gRPC calls (kubectlgray.workload.v1.Workload/Hello) to SERVICE through istiod's xDS
(xds:///SERVICE.NAMESPACE.svc.cluster.local:PORT) and prints the split by version, by chain for calls
that crossed several hops, and the errors:

  1,000 calls: v1 902 · v2 98 · errors 0

Flags:
`)
		fs.PrintDefaults()
	}
}

func main() {
	fs := flag.NewFlagSet("traffic", flag.ExitOnError)
	fs.Usage = usage(fs)
	var headers headerList
	ns := fs.String("n", "default", "namespace of SERVICE (also the caller's namespace unless --source-namespace)")
	fs.StringVar(ns, "namespace", "default", "same as -n")
	count := fs.Int("count", 1000, "number of calls")
	port := fs.Int("port", 9090, "the Service's gRPC port")
	fs.Var(&headers, "H", "request header name:value sent with every call (repeatable)")
	fs.Var(&headers, "header", "same as -H")
	xdsAddr := fs.String("xds", os.Getenv("ISTIOD_XDS_ADDR"), "istiod's plaintext xDS address host:port (default $ISTIOD_XDS_ADDR)")
	direct := fs.String("direct", "", "call this host:port directly (dns:///), without istiod; for trying the harness out")
	concurrency := fs.Int("concurrency", 16, "calls in flight at once")
	timeout := fs.Duration("timeout", 20*time.Second, "deadline of each call")
	output := fs.String("o", "text", "output: text or json")
	srcNS := fs.String("source-namespace", "", "the caller's namespace as istiod sees it (default: -n)")
	srcLabels := fs.String("source-labels", "app=traffic", "the caller's labels as istiod sees them (k=v,...)")
	srcIP := fs.String("source-ip", envOr("POD_IP", "127.0.0.1"), "the caller's IP in its xDS node id")
	until := fs.String("until", "", "follow mode: keep calling until the last --window calls split like this (v1=50,v2=50)")
	tolerance := fs.Float64("tolerance", 3, "follow mode: allowed difference, in points, per version")
	windowSize := fs.Int("window", 400, "follow mode: calls in the sliding window")
	maxWait := fs.Duration("max-wait", 60*time.Second, "follow mode: give up after this long")

	// Flags may come before or after SERVICE.
	args := os.Args[1:]
	var service string
	for {
		if err := fs.Parse(args); err != nil {
			os.Exit(2)
		}
		if fs.NArg() == 0 {
			break
		}
		if service != "" {
			fmt.Fprintf(os.Stderr, "traffic: one SERVICE only (have %q and %q)\n", service, fs.Arg(0))
			os.Exit(2)
		}
		service, args = fs.Arg(0), fs.Args()[1:]
	}
	if service == "" {
		fs.Usage()
		os.Exit(2)
	}
	if *output != "text" && *output != "json" {
		die("-o must be text or json")
	}
	if *count < 1 || *concurrency < 1 {
		die("--count and --concurrency must be at least 1")
	}
	host := service
	if !strings.Contains(host, ".") {
		host = fmt.Sprintf("%s.%s.svc.cluster.local", service, *ns)
	}
	target := fmt.Sprintf("%s:%d", host, *port)

	var dialTarget string
	switch {
	case *direct != "":
		dialTarget = "dns:///" + *direct
	case mesh.HasBootstrap():
		dialTarget = "xds:///" + target
	case *xdsAddr == "":
		die("no istiod address: pass --xds HOST:PORT or set ISTIOD_XDS_ADDR (test/cluster/traffic finds it)")
	default:
		labels, err := mesh.ParseLabels(*srcLabels)
		if err != nil {
			die(err.Error())
		}
		node := mesh.Node{Kind: "sidecar", IP: *srcIP, Pod: fmt.Sprintf("traffic-%d", os.Getpid()),
			Namespace: or(*srcNS, *ns), Labels: labels, Generator: "grpc"}
		boot, err := mesh.Bootstrap(*xdsAddr, node)
		if err != nil {
			die(err.Error())
		}
		die(fmt.Sprintf("re-exec with the xDS bootstrap: %v", mesh.ExecWithBootstrap(boot)))
	}

	conn, err := grpc.NewClient(dialTarget, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(api.ConnectParams))
	if err != nil {
		die(err.Error())
	}
	defer conn.Close()

	md := metadata.MD{}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		md.Append(strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v))
	}
	if *until != "" {
		target, err := split.ParseTarget(*until)
		if err != nil {
			die(err.Error())
		}
		os.Exit(follow(conn, md, target, *tolerance, *windowSize, *maxWait, *concurrency, *timeout, *output == "json"))
	}
	res := split.New(target)
	res.Headers = headers
	var mu sync.Mutex
	jobs := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *concurrency && w < *count; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), md), *timeout)
				r, err := api.Hello(ctx, conn)
				cancel()
				mu.Lock()
				if err != nil {
					st := status.Convert(err)
					res.AddError(st.Code().String(), st.Message())
				} else {
					res.AddOK(r.Version, r.Chain, r.Pod)
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < *count; i++ {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	res.ElapsedMs = time.Since(start).Milliseconds()

	if *output == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(res)
	} else {
		fmt.Println(res.Summary())
		if res.MultiHop() {
			fmt.Println(res.ChainSummary())
		}
		if res.FirstError != "" {
			fmt.Println("first error: " + res.FirstError)
		}
	}
	if res.OK == 0 {
		os.Exit(1)
	}
}

// follow calls without pause (one long-lived xDS client, which follows istiod's pushes) until the last
// `size` calls split like target. It prints a "warm" event once the first window is full (start the
// change then) and a "matched" or "timeout" event; times are Unix milliseconds. Exit status 0 on a match.
func follow(conn *grpc.ClientConn, md metadata.MD, target map[string]float64, tol float64, size int,
	maxWait time.Duration, concurrency int, timeout time.Duration, asJSON bool) int {
	type result struct {
		version string
		at      time.Time
	}
	results := make(chan result, 1024)
	stop := make(chan struct{})
	defer close(stop)
	for i := 0; i < concurrency; i++ {
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				at := time.Now()
				ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), md), timeout)
				r, err := api.Hello(ctx, conn)
				cancel()
				v := "error"
				if err == nil {
					v = r.Version
				}
				select {
				case results <- result{v, at}:
				case <-stop:
					return
				}
			}
		}()
	}
	emit := func(event string, fields map[string]any) {
		fields["event"] = event
		fields["atMs"] = time.Now().UnixMilli()
		if asJSON {
			b, _ := json.Marshal(fields)
			fmt.Println(string(b))
			return
		}
		fmt.Printf("%s after %s calls: %s\n", event, split.Thousands(fields["calls"].(int)), split.FormatShares(fields["shares"].(map[string]float64)))
	}
	w := split.NewWindow(size)
	deadline := time.After(maxWait)
	calls, warm := 0, false
	for {
		select {
		case r := <-results:
			calls++
			w.Add(r.version, r.at)
			if !w.Full() {
				continue
			}
			if !warm {
				warm = true
				emit("warm", map[string]any{"calls": calls, "shares": w.Shares()})
			}
			if w.Matches(target, tol) {
				emit("matched", map[string]any{"calls": calls, "shares": w.Shares(), "windowStartMs": w.Start().UnixMilli()})
				return 0
			}
		case <-deadline:
			emit("timeout", map[string]any{"calls": calls, "shares": w.Shares()})
			return 1
		}
	}
}

func die(msg string) {
	fmt.Fprintln(os.Stderr, "traffic: "+msg)
	os.Exit(2)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
