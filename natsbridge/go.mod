module github.com/eventengine/eventengine/natsbridge

go 1.26.0

require github.com/eventengine/eventengine v0.0.0

replace github.com/eventengine/eventengine => ../
