// netcheck is the test workload image's program (hack/build-images.sh): `netcheck serve` answers
// every HTTP request on :8080 with its hostname (the pod's name), `netcheck get URL` prints what a
// URL answers and `netcheck resolve NAME` the addresses the pod's resolver gives for a name, so
// tests can check pod-to-pod and service traffic and cluster DNS from inside a pod.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		args = []string{"serve"}
	}
	switch {
	case args[0] == "serve" && len(args) <= 2:
		addr := ":8080"
		if len(args) == 2 {
			addr = args[1]
		}
		serve(addr)
	case args[0] == "get" && len(args) == 2:
		if err := get(args[1]); err != nil {
			fmt.Fprintln(os.Stderr, "netcheck:", err)
			os.Exit(1)
		}
	case args[0] == "resolve" && len(args) == 2:
		if err := resolve(args[1]); err != nil {
			fmt.Fprintln(os.Stderr, "netcheck:", err)
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: netcheck serve [ADDRESS] | netcheck get URL | netcheck resolve NAME")
		os.Exit(2)
	}
}

func serve(addr string) {
	hostname, _ := os.Hostname()
	server := &http.Server{
		Addr: addr,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintln(w, hostname)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	// As PID 1 of its container, a signal without a handler would be ignored and the kubelet would
	// wait out the whole grace period; stopping on SIGTERM keeps pod deletion quick.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdown)
	}()
	fmt.Fprintf(os.Stderr, "netcheck: serving %s on %s\n", hostname, addr)
	if err := server.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "netcheck:", err)
		os.Exit(1)
	}
}

func get(url string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	os.Stdout.Write(body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}

// resolve asks the resolver /etc/resolv.conf names (Go's own, so the pod's search list and ndots
// apply as for any client) and prints each address on a line.
func resolve(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		fmt.Println(a)
	}
	return nil
}
