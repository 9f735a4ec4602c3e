package server

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"meter-sync/store"
)

// metrics are the server's Prometheus metrics, in a registry of its own (no
// globals: two servers in one process count apart). Only what something
// produces is registered; docking, anomalies and sync add theirs when they
// exist.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	signins  *prometheus.CounterVec
	handler  http.Handler
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meter_sync_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "meter_sync_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
		signins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meter_sync_signins_total",
			Help: "Password sign-ins by result: ok, failed (wrong account or password) or locked (too many failures).",
		}, []string{"result"}),
	}
	for _, r := range []string{"ok", "failed", "locked"} {
		m.signins.WithLabelValues(r)
	}
	m.reg.MustRegister(m.requests, m.duration, m.signins,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "meter_sync_store_size_bytes",
			Help: "Size of the store on disk.",
		}, func() float64 { return float64(s.opt.Store.Size()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "meter_sync_customers",
			Help: "Households in the store.",
		}, func() float64 {
			n, err := store.CountCustomers(s.opt.Store)
			if err != nil {
				s.log.Error("metrics: counting customers", "err", err)
				return math.NaN()
			}
			return float64(n)
		}),
	)
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return m
}

func (m *metrics) observe(route, method string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

func (m *metrics) signin(result string) { m.signins.WithLabelValues(result).Inc() }

func (m *metrics) serve(c echo.Context) error {
	m.handler.ServeHTTP(c.Response(), c.Request())
	return nil
}
