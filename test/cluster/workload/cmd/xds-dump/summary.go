package main

import (
	"fmt"
	"strings"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// The parts of listeners and routes the end-to-end tests look at.
type (
	ListenerSummary struct {
		Name         string         `json:"name"`
		Address      string         `json:"address,omitempty"`
		API          bool           `json:"apiListener,omitempty"` // proxyless gRPC listeners
		FilterChains []ChainSummary `json:"filterChains"`
	}
	ChainSummary struct {
		Name           string   `json:"name,omitempty"`
		NetworkFilters []string `json:"networkFilters"`
		HTTPFilters    []string `json:"httpFilters,omitempty"` // in order; the router is last
		RouteConfig    string   `json:"routeConfig,omitempty"` // RDS name
	}
	RouteConfigSummary struct {
		Name         string               `json:"name"`
		VirtualHosts []VirtualHostSummary `json:"virtualHosts"`
	}
	VirtualHostSummary struct {
		Name    string         `json:"name"`
		Domains []string       `json:"domains"`
		Routes  []RouteSummary `json:"routes"`
	}
	RouteSummary struct {
		Name     string            `json:"name,omitempty"`
		Match    string            `json:"match"`
		Headers  []string          `json:"headers,omitempty"` // "name=value" / "name~regex" / "name present"
		Cluster  string            `json:"cluster,omitempty"`
		Weighted []WeightedCluster `json:"weightedClusters,omitempty"`
		Mirrors  []Mirror          `json:"mirrors,omitempty"`
		Other    string            `json:"other,omitempty"` // redirect / direct_response / ...
	}
	WeightedCluster struct {
		Name   string `json:"name"`
		Weight uint32 `json:"weight"`
	}
	Mirror struct {
		Cluster string  `json:"cluster"`
		Percent float64 `json:"percent"` // 100 when the policy has no fraction
	}
)

func summarizeListener(l *listenerv3.Listener) ListenerSummary {
	s := ListenerSummary{Name: l.GetName(), FilterChains: []ChainSummary{}}
	if sa := l.GetAddress().GetSocketAddress(); sa != nil {
		s.Address = fmt.Sprintf("%s:%d", sa.GetAddress(), sa.GetPortValue())
	}
	if api := l.GetApiListener().GetApiListener(); api != nil {
		s.API = true
		s.FilterChains = append(s.FilterChains, summarizeHCM("api_listener", api))
	}
	chains := append([]*listenerv3.FilterChain{}, l.GetFilterChains()...)
	if l.GetDefaultFilterChain() != nil {
		chains = append(chains, l.GetDefaultFilterChain())
	}
	for _, fc := range chains {
		c := ChainSummary{Name: fc.GetName(), NetworkFilters: []string{}}
		for _, f := range fc.GetFilters() {
			c.NetworkFilters = append(c.NetworkFilters, f.GetName())
			if hs := summarizeHCM(fc.GetName(), f.GetTypedConfig()); hs.HTTPFilters != nil {
				c.HTTPFilters, c.RouteConfig = hs.HTTPFilters, hs.RouteConfig
			}
		}
		s.FilterChains = append(s.FilterChains, c)
	}
	return s
}

// summarizeHCM reads an http_connection_manager config; anything else gives an empty summary.
func summarizeHCM(name string, a *anypb.Any) ChainSummary {
	c := ChainSummary{Name: name}
	hcm := &hcmv3.HttpConnectionManager{}
	if a == nil || a.MessageIs(hcm) == false || a.UnmarshalTo(hcm) != nil {
		return c
	}
	c.HTTPFilters = []string{}
	for _, hf := range hcm.GetHttpFilters() {
		c.HTTPFilters = append(c.HTTPFilters, hf.GetName())
	}
	c.RouteConfig = hcm.GetRds().GetRouteConfigName()
	if rc := hcm.GetRouteConfig(); rc != nil && c.RouteConfig == "" {
		c.RouteConfig = "(inline) " + rc.GetName()
	}
	return c
}

func summarizeRouteConfig(rc *routev3.RouteConfiguration) RouteConfigSummary {
	s := RouteConfigSummary{Name: rc.GetName(), VirtualHosts: []VirtualHostSummary{}}
	for _, vh := range rc.GetVirtualHosts() {
		v := VirtualHostSummary{Name: vh.GetName(), Domains: vh.GetDomains(), Routes: []RouteSummary{}}
		for _, r := range vh.GetRoutes() {
			v.Routes = append(v.Routes, summarizeRoute(r))
		}
		s.VirtualHosts = append(s.VirtualHosts, v)
	}
	return s
}

func summarizeRoute(r *routev3.Route) RouteSummary {
	s := RouteSummary{Name: r.GetName()}
	m := r.GetMatch()
	switch {
	case m.GetPrefix() != "" || m.GetPathSpecifier() == nil:
		s.Match = "prefix " + m.GetPrefix()
	case m.GetPath() != "":
		s.Match = "path " + m.GetPath()
	case m.GetSafeRegex() != nil:
		s.Match = "regex " + m.GetSafeRegex().GetRegex()
	default:
		s.Match = fmt.Sprintf("%T", m.GetPathSpecifier())
	}
	for _, h := range m.GetHeaders() {
		switch {
		case h.GetStringMatch() != nil:
			sm := h.GetStringMatch()
			switch {
			case sm.GetExact() != "":
				s.Headers = append(s.Headers, h.GetName()+"="+sm.GetExact())
			case sm.GetPrefix() != "":
				s.Headers = append(s.Headers, h.GetName()+"^="+sm.GetPrefix())
			case sm.GetSafeRegex() != nil:
				s.Headers = append(s.Headers, h.GetName()+"~"+sm.GetSafeRegex().GetRegex())
			default:
				s.Headers = append(s.Headers, h.GetName()+" "+sm.String())
			}
		case h.GetPresentMatch():
			s.Headers = append(s.Headers, h.GetName()+" present")
		default:
			s.Headers = append(s.Headers, h.GetName()+" "+strings.TrimSpace(fmt.Sprint(h.GetHeaderMatchSpecifier())))
		}
		if h.GetInvertMatch() {
			s.Headers[len(s.Headers)-1] = "!" + s.Headers[len(s.Headers)-1]
		}
	}
	a := r.GetRoute()
	if a == nil {
		s.Other = fmt.Sprintf("%T", r.GetAction())
		return s
	}
	s.Cluster = a.GetCluster()
	for _, wc := range a.GetWeightedClusters().GetClusters() {
		s.Weighted = append(s.Weighted, WeightedCluster{Name: wc.GetName(), Weight: wc.GetWeight().GetValue()})
	}
	for _, mp := range a.GetRequestMirrorPolicies() {
		s.Mirrors = append(s.Mirrors, Mirror{Cluster: mp.GetCluster(), Percent: percent(mp.GetRuntimeFraction().GetDefaultValue())})
	}
	return s
}

func percent(f *typev3.FractionalPercent) float64 {
	if f == nil {
		return 100
	}
	n := float64(f.GetNumerator())
	switch f.GetDenominator() {
	case typev3.FractionalPercent_TEN_THOUSAND:
		return n / 100
	case typev3.FractionalPercent_MILLION:
		return n / 10000
	default:
		return n
	}
}

// text renders summaries for people.
func text(ls []ListenerSummary, rs []RouteConfigSummary) string {
	var b strings.Builder
	for _, l := range ls {
		fmt.Fprintf(&b, "listener %s %s\n", l.Name, l.Address)
		for _, c := range l.FilterChains {
			if c.HTTPFilters == nil {
				fmt.Fprintf(&b, "  chain %q: %s\n", c.Name, strings.Join(c.NetworkFilters, ", "))
				continue
			}
			fmt.Fprintf(&b, "  chain %q: http filters %s; routes %s\n", c.Name, strings.Join(c.HTTPFilters, " → "), c.RouteConfig)
		}
	}
	for _, rc := range rs {
		fmt.Fprintf(&b, "route config %s\n", rc.Name)
		for _, vh := range rc.VirtualHosts {
			fmt.Fprintf(&b, "  virtual host %s %v\n", vh.Name, vh.Domains)
			for _, r := range vh.Routes {
				fmt.Fprintf(&b, "    %s", r.Match)
				if len(r.Headers) > 0 {
					fmt.Fprintf(&b, " [%s]", strings.Join(r.Headers, ", "))
				}
				if r.Cluster != "" {
					fmt.Fprintf(&b, " → %s", r.Cluster)
				}
				for _, w := range r.Weighted {
					fmt.Fprintf(&b, " → %s %d", w.Name, w.Weight)
				}
				for _, m := range r.Mirrors {
					fmt.Fprintf(&b, " (mirror %s %g%%)", m.Cluster, m.Percent)
				}
				if r.Other != "" {
					fmt.Fprintf(&b, " %s", r.Other)
				}
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}
