package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"meter-sync/device/handheld"
	"meter-sync/interchange"
	"meter-sync/internal/cli"
)

func runInit(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "init", "--id ID --key HEX")
	id := fs.String("id", "", "the handheld's device `ID`, as paired on the server")
	key := fs.String("key", "", "the 64 hex digit `KEY` meter-sync device pair printed")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *key == "" {
		return errors.New("init: --id and --key are required")
	}
	k, err := handheld.ParseKey(*key)
	if err != nil {
		return err
	}
	return e.withStore(func(s *handheld.Store) error {
		if err := s.SetIdentity(*id, k); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "抄表机%s已配对\n", *id)
		return nil
	})
}

func runClock(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "clock", "[--offset DURATION | --set TIME]")
	offset := fs.Duration("offset", 0, "set the clock this `DURATION` from the system clock (e.g. 3h, -90m)")
	set := fs.String("set", "", "set the clock to `TIME` (2026-01-05T09:00:00+08:00)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return e.withStore(func(s *handheld.Store) error {
		var err error
		switch {
		case given["offset"] && given["set"]:
			return errors.New("clock: give --offset or --set, not both")
		case given["offset"]:
			err = s.SetClockOffset(*offset)
		case given["set"]:
			var t time.Time
			if t, err = interchange.ParseTime(*set); err == nil {
				err = s.SetClock(t)
			}
		}
		if err != nil {
			return fmt.Errorf("clock: %w", err)
		}
		return printClock(e, s)
	})
}

func printClock(e *env, s *handheld.Store) error {
	now, err := s.Now()
	if err != nil {
		return err
	}
	d, err := s.ClockOffset()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "本机时钟 %s (offset %s)\n", interchange.FormatTime(now), d)
	return nil
}

func runLoadRoute(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "load-route", "--reader R001 --cycle 2026-01 --file route.csv")
	reader := fs.String("reader", "", "the reader (抄表员编号) whose route it is")
	cycle := fs.String("cycle", "", "the reading cycle, `YYYY-MM`")
	file := fs.String("file", "", "the route `FILE`, CSV in UTF-8 as meter-sync export-route writes it")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *reader == "" || *cycle == "" || *file == "" {
		return errors.New("load-route: --reader, --cycle and --file are required")
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	return e.withStore(func(s *handheld.Store) error {
		n, err := s.LoadRoute(*reader, *cycle, data)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "已装载抄表员%s %s路线: %d户\n", *reader, *cycle, n)
		return nil
	})
}

func runLoadRereads(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "load-rereads", "--file rereads.csv")
	file := fs.String("file", "", "the re-read `FILE`: route file columns, CSV in UTF-8")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("load-rereads: --file is required")
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	return e.withStore(func(s *handheld.Store) error {
		n, err := s.AddRereads(data)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "已添加重抄任务: %d户\n", n)
		return nil
	})
}

func runWalk(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "walk", "[--seed N] [--from readings.csv] [--limit N]")
	mix := handheld.DefaultMix()
	opt := handheld.WalkOptions{Mix: &mix}
	fs.Uint64Var(&opt.Seed, "seed", 1, "the seed: the same seed and route give the same readings")
	fs.StringVar(&opt.From, "from", "", "take the readings from this readings `FILE` (.csv or .xlsx) instead of generating them")
	fs.IntVar(&opt.Limit, "limit", 0, "walk at most `N` households (0: all unread)")
	start := fs.String("start", "", "the walk's start `TIME` (default: the handheld's clock)")
	fs.Float64Var(&mix.Estimated, "estimated", mix.Estimated, "fraction of households estimated (估抄: nobody home, door closed)")
	fs.Float64Var(&mix.Unauthorized, "unauthorized", mix.Unauthorized, "fraction found using gas without ignition (私自点火)")
	fs.Float64Var(&mix.Broken, "broken", mix.Broken, "fraction with a broken meter (表坏)")
	fs.Float64Var(&mix.Vacant, "vacant", mix.Vacant, "fraction using no gas")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *start != "" {
		t, err := interchange.ParseTime(*start)
		if err != nil {
			return fmt.Errorf("walk: --start: %w", err)
		}
		opt.Now = t
	}
	return e.withStore(func(s *handheld.Store) error {
		res, err := handheld.Walk(s, opt)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "抄表%d户(估抄%d, 私自点火%d, 表坏%d, 新增户%d, 文件中无读数%d)\n",
			res.Read, res.Estimated, res.Unauthorized, res.Broken, res.Added, res.Skipped)
		return nil
	})
}

func runManage(_ context.Context, e *env, args []string) error {
	if err := cli.Parse(newFlags(e, "manage", ""), args); err != nil {
		return err
	}
	return e.withStore(func(s *handheld.Store) error {
		sum, err := s.Summary()
		if err != nil {
			return err
		}
		return handheld.RenderManage(e.stdout, sum)
	})
}

func runStats(_ context.Context, e *env, args []string) error {
	if err := cli.Parse(newFlags(e, "stats", ""), args); err != nil {
		return err
	}
	return e.withStore(func(s *handheld.Store) error {
		st, err := s.Stats()
		if err != nil {
			return err
		}
		return handheld.RenderStats(e.stdout, st)
	})
}

func runReadings(_ context.Context, e *env, args []string) error {
	if err := cli.Parse(newFlags(e, "readings", ""), args); err != nil {
		return err
	}
	return e.withStore(func(s *handheld.Store) error {
		b, err := s.PendingReadings()
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(b.CSV)
		return err
	})
}
