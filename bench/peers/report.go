package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// metric is one row of the table: a measurement taken of several
// contenders and compared in pairs, wirelab against a peer.
type metric struct {
	key    string
	label  string
	unit   string
	higher bool        // a higher value is better (throughput)
	pairs  [][2]string // (wirelab contender, peer contender)
}

// results holds every sample, by metric key and contender.
type results struct {
	metrics []*metric
	samples map[string]map[string][]float64
	notes   []string
}

func newResults() *results {
	return &results{samples: map[string]map[string][]float64{}}
}

// define adds a row; rows print in the order defined.
func (r *results) define(m *metric) {
	r.metrics = append(r.metrics, m)
}

func (r *results) add(key, contender string, v float64) {
	if r.samples[key] == nil {
		r.samples[key] = map[string][]float64{}
	}
	r.samples[key][contender] = append(r.samples[key][contender], v)
}

func (r *results) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// median of the samples; NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// advantage is how many times better wirelab's median is than the peer's:
// above 1 wirelab wins the row. NaN when either is missing.
func advantage(wl, peer float64, higher bool) float64 {
	if math.IsNaN(wl) || math.IsNaN(peer) {
		return math.NaN()
	}
	if wl == peer {
		return 1
	}
	if higher {
		return wl / peer
	}
	return peer / wl
}

// line is one printed comparison.
type line struct {
	m              *metric
	wl, peer       string
	wlMed, peerMed float64
	wlN, peerN     int
	adv            float64
}

func (r *results) lines() []line {
	var out []line
	for _, m := range r.metrics {
		for _, p := range m.pairs {
			ws, ps := r.samples[m.key][p[0]], r.samples[m.key][p[1]]
			if len(ws) == 0 && len(ps) == 0 {
				continue
			}
			l := line{m: m, wl: p[0], peer: p[1], wlMed: median(ws), peerMed: median(ps), wlN: len(ws), peerN: len(ps)}
			l.adv = advantage(l.wlMed, l.peerMed, m.higher)
			out = append(out, l)
		}
	}
	return out
}

func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case v == 0:
		return "0"
	case math.Abs(v) >= 1000:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.1f", v)
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

func formatAdv(a float64) string {
	if math.IsNaN(a) {
		return "n/a"
	}
	if math.IsInf(a, 0) {
		return "∞"
	}
	s := fmt.Sprintf("%.2f×", a)
	if a >= 10 {
		s = fmt.Sprintf("%.0f×", a)
	}
	if a < 1 {
		s += " (loses)"
	}
	return s
}

// writeTable prints the comparisons as a Markdown table, which also reads
// well on a terminal.
func (r *results) writeTable(w io.Writer) {
	fmt.Fprintln(w, "| Workload | Unit | wirelab | median | Peer | median | wirelab's advantage |")
	fmt.Fprintln(w, "|---|---|---|---:|---|---:|---:|")
	for _, l := range r.lines() {
		better := "lower is better"
		if l.m.higher {
			better = "higher is better"
		}
		fmt.Fprintf(w, "| %s | %s (%s) | %s | %s | %s | %s | %s |\n", l.m.label, l.m.unit, better,
			l.wl, formatValue(l.wlMed), l.peer, formatValue(l.peerMed), formatAdv(l.adv))
	}
}

// header is what the report says about the machine and the peers.
type header struct {
	date, cpu string
	cpus      int
	runs      int
	quick     bool
	versions  [][2]string
	method    []string
}

// writeMarkdown writes the report between the harness's markers in path,
// keeping whatever the file holds outside them (the analysis of rows
// wirelab loses, written by hand).
func (r *results) writeMarkdown(path string, h header) error {
	var b strings.Builder
	b.WriteString(markBegin + "\n")
	fmt.Fprintf(&b, "Measured %s on %d CPUs (%s), %d interleaved %s per row", h.date, h.cpus, h.cpu, h.runs, plural(h.runs, "run"))
	if h.quick {
		b.WriteString(", quick mode (smaller workloads: not for comparison)")
	}
	b.WriteString("; each cell is the median. The advantage is the peer's median over wirelab's for times, and wirelab's over the peer's for rates: above 1× wirelab wins.\n\n")
	r.writeTable(&b)
	b.WriteString("\n![wirelab against its peers](benchmarks.svg)\n\n")
	b.WriteString("Versions:\n\n")
	for _, v := range h.versions {
		fmt.Fprintf(&b, "- %s: %s\n", v[0], v[1])
	}
	b.WriteString("\nHow each row was measured:\n\n")
	for _, m := range h.method {
		fmt.Fprintf(&b, "- %s\n", m)
	}
	if len(r.notes) > 0 {
		b.WriteString("\nNotes from this run:\n\n")
		for _, n := range r.notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	b.WriteString(markEnd + "\n")

	old, err := os.ReadFile(path)
	var out string
	switch {
	case err == nil && strings.Contains(string(old), markBegin) && strings.Contains(string(old), markEnd):
		before, _, _ := strings.Cut(string(old), markBegin)
		_, after, _ := strings.Cut(string(old), markEnd+"\n")
		out = before + b.String() + after
	case err == nil || os.IsNotExist(err):
		out = "# wirelab against the servers people would pick instead\n\n" +
			"Written by `make bench-peers` (bench/peers): every peer and wirelab run side by side on one machine, in one run.\n\n" +
			b.String()
	default:
		return err
	}
	return os.WriteFile(path, []byte(out), 0o644)
}

const (
	markBegin = "<!-- bench-peers: begin (generated; edit outside these markers) -->"
	markEnd   = "<!-- bench-peers: end -->"
)

// writeSVG draws one horizontal bar per comparison on a log scale centred
// on 1×: bars to the right are rows wirelab wins, to the left rows it
// loses, each labelled with the advantage.
func (r *results) writeSVG(path string, h header) error {
	ls := r.lines()
	const (
		labelW = 560
		plotW  = 420
		rowH   = 24
		top    = 64
		width  = labelW + plotW + 90
	)
	// The axis spans whole decades around every advantage.
	lo, hi := 0.0, 1.0 // log10 of the axis ends
	for _, l := range ls {
		if a := l.adv; !math.IsNaN(a) && !math.IsInf(a, 0) && a > 0 {
			lo = math.Min(lo, math.Floor(math.Log10(a)))
			hi = math.Max(hi, math.Ceil(math.Log10(a)))
		}
	}
	if lo == 0 {
		lo = -1
	}
	x := func(a float64) float64 {
		return labelW + (math.Log10(a)-lo)/(hi-lo)*plotW
	}
	height := top + rowH*len(ls) + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	title := fmt.Sprintf("wirelab's advantage over each peer (median of %d %s, %d CPUs, %s)", h.runs, plural(h.runs, "run"), h.cpus, h.date)
	if h.quick {
		title += ", quick mode"
	}
	fmt.Fprintf(&b, `<text x="10" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="10" y="42" fill="#555">Log scale; right of 1× wirelab is better. Times: peer ÷ wirelab; rates: wirelab ÷ peer.</text>`+"\n")
	for d := lo; d <= hi; d++ {
		a := math.Pow(10, d)
		xx := x(a)
		stroke := "#ddd"
		if d == 0 {
			stroke = "#333"
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", xx, top-6, xx, top+rowH*len(ls), stroke)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%g×</text>`+"\n", xx, top+rowH*len(ls)+16, a)
	}
	for i, l := range ls {
		y := top + i*rowH
		label := fmt.Sprintf("%s: %s vs %s", l.m.label, l.wl, l.peer)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelW-8, y+rowH/2+4, html.EscapeString(label))
		if math.IsNaN(l.adv) || l.adv <= 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#999">n/a</text>`+"\n", x(1)+4, y+rowH/2+4)
			continue
		}
		a := math.Min(math.Max(l.adv, math.Pow(10, lo)), math.Pow(10, hi))
		x0, x1 := x(1), x(a)
		color := "#2a9d4b"
		if l.adv < 1 {
			color = "#d1495b"
			x0, x1 = x1, x0
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", x0, y+4, math.Max(x1-x0, 1), rowH-8, color)
		value := html.EscapeString(strings.TrimSuffix(formatAdv(l.adv), " (loses)"))
		if l.adv < 1 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="end">%s</text>`+"\n", x0-4, y+rowH/2+4, value)
		} else {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", x1+4, y+rowH/2+4, value)
		}
	}
	b.WriteString("</svg>\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
