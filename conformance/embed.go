package conformance

import "embed"

// Corpus is the built-in transcript corpus: testdata/rfc holds the RFCs'
// own examples, testdata/wirelab wirelab's cases for behaviour the RFCs
// give no example of.
//
//go:embed testdata
var Corpus embed.FS
