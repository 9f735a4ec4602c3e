package client_test

import (
	"testing"

	"meter-sync/sync/client"
	"meter-sync/sync/client/clienttest"
)

func TestMemStoreConformance(t *testing.T) {
	clienttest.Run(t, func(t *testing.T) client.Store { return client.NewMemStore() })
}
