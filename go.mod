module github.com/eventengine/eventengine

go 1.26
