package cli

import (
	"context"
	"fmt"
)

func infraCommand(ctx context.Context, verb string) error {
	return fmt.Errorf("infra %s: not implemented yet", verb)
}
