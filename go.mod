module github.com/wirelab/wirelab

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/hack-pad/hackpadfs v0.2.4
	golang.org/x/crypto v0.59.0
	golang.org/x/tools v0.52.0
)
