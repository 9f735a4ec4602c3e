package main

import (
	"fmt"
	"path/filepath"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/domain"
	"meter-sync/orders"
	"meter-sync/store"
	"meter-sync/store/bolt"
	"meter-sync/store/storetest"
)

// tech is a seeded technician and their tablet's token.
type tech struct {
	ID, Token string
	Orders    []string
}

// seeder writes technicians, households and dispatched orders into a store.
type seeder struct {
	st    *bolt.DB
	acc   *access.Service
	pol   orders.Policy
	homes int
}

var office = orders.Actor{Account: account.Account{ID: "bench-office", Role: account.RoleTeamLeader, CanDispatch: true}}

func openSeeder(data string) (*seeder, error) {
	st, err := bolt.Open(filepath.Join(data, "meter-sync.db"), nil)
	if err != nil {
		return nil, err
	}
	opt := access.DefaultOptions()
	opt.Hash = account.HashParams{Memory: 64, Time: 1, Threads: 1} // seeding only: tokens are what tablets use
	return &seeder{st: st, acc: access.New(st, opt, nil), pol: orders.DefaultPolicy()}, nil
}

// tech adds a technician with n orders of mixed businesses, each at a new household.
func (s *seeder) tech(id string, n int, role account.Role) (tech, error) {
	t := tech{ID: id}
	_, err := s.acc.AddAccount(access.Actor{ID: "bench"}, access.NewAccount{ID: id, Name: "施工员" + id,
		Role: role, Password: "a bench password"})
	if err != nil {
		return t, err
	}
	if t.Token, _, err = s.acc.IssueToken(access.Actor{ID: "bench"}, id, "平板"); err != nil {
		return t, err
	}
	t.Orders, err = s.dispatch(id, n)
	return t, err
}

// dispatch makes n orders for technician id at new households.
func (s *seeder) dispatch(id string, n int) ([]string, error) {
	var ids []string
	err := s.st.Update(func(tx store.Tx) error {
		for range n {
			i := s.homes
			s.homes++
			c := storetest.Household(fmt.Sprintf("33%08d", i), 1001+i/100, 1+i%7, 1+i%3, 101+i%100, domain.OddMonths)
			c.Name = []string{"赵俊华", "吴红涛", "蔡新峰", "陈子磊", "钱涛", "孙丽"}[i%6]
			c.Address = fmt.Sprintf("鹿城区江滨花园%d幢%d单元%d室", 1+i%7, 1+i%3, 101+i%100)
			if _, _, err := tx.PutCustomer(&c); err != nil {
				return err
			}
			biz := []string{"封表", "换表", "校表", "拆表", "换波纹管/其它", "隐患整改"}[i%6]
			o, err := s.pol.CreateOrder(tx, office, orders.NewOrder{CustomerID: c.ID, Business: biz, Priority: "尽快安排",
				Requirement: "用户要求上午上门,请提前电话联系"}, store.OriginOffice, time.Now())
			if err != nil {
				return err
			}
			if o, err = s.pol.Dispatch(tx, office, orders.Change{OrderID: o.ID, Version: o.Version, Technician: id, Note: "上午"}, time.Now()); err != nil {
				return err
			}
			ids = append(ids, o.ID)
		}
		return nil
	})
	return ids, err
}

func (s *seeder) Close() error { return s.st.Close() }
