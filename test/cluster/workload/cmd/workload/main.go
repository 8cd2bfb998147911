// workload is the image of every test pod: an HTTP server (probes, a readiness switch, who-am-I) and a
// plain gRPC server whose Hello answers app/version/pod and, when NEXT is set, first calls the next hop
// through istiod (xds:///NEXT), forwarding the headers named in FORWARD_HEADERS, and returns the chain.
//
// Environment:
//
//	APP, VERSION          who this pod is (the pod sets them from its labels)
//	POD_NAME, POD_NAMESPACE, POD_IP
//	HTTP_PORT (8080), GRPC_PORT (9090)
//	NEXT                  <service>.<namespace>.svc.cluster.local:<port> to call before answering
//	FORWARD_HEADERS       comma list of request headers passed on to NEXT (e.g. my-request-id,end-user)
//	ISTIOD_XDS_ADDR       host:port of istiod's plaintext xDS; NEXT then goes through xds:///.
//	                      Without it NEXT is called directly (dns:///).
//	NEXT_TIMEOUT          per-call deadline for NEXT (default 20s)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	_ "google.golang.org/grpc/xds" // the xds:/// resolver and its balancers

	"kubectl-gray/test/cluster/workload/internal/api"
	"kubectl-gray/test/cluster/workload/internal/mesh"
)

type server struct {
	self        api.Reply
	next        string
	nextConn    *grpc.ClientConn
	nextTimeout time.Duration
	forward     []string
	ready       atomic.Bool
	health      *health.Server
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("workload: ")
	xdsAddr := os.Getenv("ISTIOD_XDS_ADDR")
	node := mesh.NodeFromEnv(os.Getenv)
	if xdsAddr != "" && !mesh.HasBootstrap() {
		boot, err := mesh.Bootstrap(xdsAddr, node)
		if err != nil {
			log.Fatalf("xDS bootstrap: %v", err)
		}
		log.Fatalf("re-exec with the xDS bootstrap: %v", mesh.ExecWithBootstrap(boot))
	}

	s := &server{
		self: api.Reply{App: os.Getenv("APP"), Version: os.Getenv("VERSION"), Pod: node.Pod, Namespace: node.Namespace},
		next: os.Getenv("NEXT"), health: health.NewServer(), nextTimeout: 20 * time.Second,
	}
	if d, err := time.ParseDuration(os.Getenv("NEXT_TIMEOUT")); err == nil && d > 0 {
		s.nextTimeout = d
	}
	for _, h := range strings.Split(os.Getenv("FORWARD_HEADERS"), ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			s.forward = append(s.forward, h)
		}
	}
	if s.next != "" {
		scheme := "dns:///"
		if mesh.HasBootstrap() {
			scheme = "xds:///"
		}
		conn, err := grpc.NewClient(scheme+s.next, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithConnectParams(api.ConnectParams))
		if err != nil {
			log.Fatalf("next hop %s%s: %v", scheme, s.next, err)
		}
		s.nextConn = conn
		log.Printf("next hop %s%s, forwarding %v", scheme, s.next, s.forward)
	}
	s.setReady(true)

	grpcPort, httpPort := envOr("GRPC_PORT", "9090"), envOr("HTTP_PORT", "8080")
	gl, err := net.Listen("tcp", ":"+grpcPort)
	if err != nil {
		log.Fatal(err)
	}
	gs := grpc.NewServer()
	api.Register(gs, s)
	healthpb.RegisterHealthServer(gs, s.health)
	reflection.Register(gs)
	go func() {
		if err := gs.Serve(gl); err != nil {
			log.Fatalf("grpc: %v", err)
		}
	}()

	hs := &http.Server{Addr: ":" + httpPort, Handler: s.routes(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := hs.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatalf("http: %v", err)
		}
	}()
	log.Printf("%s:%s pod %s/%s ip %s: grpc :%s, http :%s, xds %q", s.self.App, s.self.Version,
		node.Namespace, node.Pod, node.IP, grpcPort, httpPort, xdsAddr)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	s.setReady(false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(ctx)
	done := make(chan struct{})
	go func() { gs.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		gs.Stop()
	}
}

func (s *server) setReady(on bool) {
	s.ready.Store(on)
	st := healthpb.HealthCheckResponse_SERVING
	if !on {
		st = healthpb.HealthCheckResponse_NOT_SERVING
	}
	s.health.SetServingStatus("", st)
	s.health.SetServingStatus(api.ServiceName, st)
}

// Hello answers for this hop, after the rest of the chain when there is a next hop.
func (s *server) Hello(ctx context.Context, _ *structpb.Struct) (*structpb.Struct, error) {
	in, _ := metadata.FromIncomingContext(ctx)
	r, err := s.chain(ctx, func(name string) []string { return in.Get(name) })
	if err != nil {
		return nil, err
	}
	return api.ToStruct(r), nil
}

// chain calls the next hop (if any) with the forwarded headers and prepends this hop to its answer.
func (s *server) chain(ctx context.Context, header func(string) []string) (*api.Reply, error) {
	r := s.self
	r.Chain = []string{s.self.App + ":" + s.self.Version}
	r.Pods = []string{s.self.Pod}
	if s.nextConn == nil {
		return &r, nil
	}
	md := metadata.MD{}
	for _, name := range s.forward {
		if vs := header(name); len(vs) > 0 {
			md.Set(name, vs...)
		}
	}
	ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(ctx, md), s.nextTimeout)
	defer cancel()
	next, err := api.Hello(ctx, s.nextConn)
	if err != nil {
		st := status.Convert(err)
		return nil, status.Errorf(st.Code(), "%s:%s -> %s: %s", s.self.App, s.self.Version, s.next, st.Message())
	}
	r.Chain = append(r.Chain, next.Chain...)
	r.Pods = append(r.Pods, next.Pods...)
	return &r, nil
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, struct {
			App     string `json:"app"`
			Version string `json:"version"`
			Pod     string `json:"pod"`
		}{s.self.App, s.self.Version, s.self.Pod})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if s.ready.Load() {
			fmt.Fprintln(w, "ready")
			return
		}
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("POST /ready", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("state") {
		case "on":
			s.setReady(true)
		case "off":
			s.setReady(false)
		default:
			http.Error(w, "state must be on or off", http.StatusBadRequest)
			return
		}
		writeJSON(w, 200, map[string]bool{"ready": s.ready.Load()})
	})
	// GET /call: the same chain a gRPC Hello would produce. Headers named in FORWARD_HEADERS are taken
	// from the HTTP request, and from ?header=name:value (repeatable).
	mux.HandleFunc("GET /call", func(w http.ResponseWriter, req *http.Request) {
		extra := map[string][]string{}
		for _, hv := range req.URL.Query()["header"] {
			if k, v, ok := strings.Cut(hv, ":"); ok {
				k = strings.ToLower(strings.TrimSpace(k))
				extra[k] = append(extra[k], strings.TrimSpace(v))
			}
		}
		r, err := s.chain(req.Context(), func(name string) []string {
			if vs := extra[name]; len(vs) > 0 {
				return vs
			}
			return req.Header.Values(name)
		})
		if err != nil {
			st := status.Convert(err)
			writeJSON(w, http.StatusBadGateway, map[string]string{"error": st.Message(), "code": st.Code().String()})
			return
		}
		writeJSON(w, 200, r)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
