package cli

import (
	"os"
	"testing"
)

func TestPositionalArg(t *testing.T) {
	saved := os.Args
	defer func() { os.Args = saved }()
	cases := []struct {
		args     []string
		arg      string
		consumed bool
	}{
		{[]string{"mage", "logs", "keystone"}, "keystone", true},
		{[]string{"mage", "-v", "Logs", "nova-api"}, "nova-api", true},
		{[]string{"mage", "logs"}, "", false},
		{[]string{"mage", "logs", "-service=glance"}, "", false},
		{[]string{"mage", "status", "logs"}, "", false},
	}
	for _, tc := range cases {
		os.Args = tc.args
		if arg, consumed := PositionalArg("logs"); arg != tc.arg || consumed != tc.consumed {
			t.Errorf("%v: got %q %v", tc.args, arg, consumed)
		}
	}
}
