package app

import "context"

// Graph prints the service graph as Graphviz DOT (`dot -Tsvg` draws it).
func (a *App) Graph(context.Context) error {
	_, err := a.o.Stdout.Write(a.o.Stack.DOT())
	return err
}
