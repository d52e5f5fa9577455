module github.com/wirelab/wirelab

go 1.26

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/hack-pad/hackpadfs v0.2.4 // indirect
	github.com/miekg/dns v1.1.73 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/tools v0.52.0 // indirect
)
