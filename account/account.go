// Package account holds who may use meter-sync and what each may do: the
// roles of the gas company's staff, their permissions (the one table every
// HTTP route and docking action is checked against), password hashing,
// sessions, API tokens and paired handhelds. It does no I/O: the store keeps
// these records, the server enforces them.
package account

import (
	"fmt"
	"strings"
	"time"
)

// Role is a job in the gas company.
type Role string

// Roles (DOMAIN.md §1.11).
const (
	RoleAdmin      Role = "admin"       // 管理员: accounts, devices, configuration, backups
	RoleClerk      Role = "clerk"       // 营业员: exports routes, imports readings; dispatches only with CanDispatch [003:1383]
	RoleReviewer   Role = "reviewer"    // 审核员: reviews flagged readings and commits (入库)
	RoleTeamLeader Role = "team_leader" // 班组长: postpones (顺延), reassigns, voids [003:1547]
	RoleTechnician Role = "technician"  // 施工人员: syncs work orders and receipts from a tablet
	RoleReader     Role = "reader"      // 抄表员: docks a handheld or syncs a networked one, sees own route and counts
)

var roleNames = map[Role]string{RoleAdmin: "管理员", RoleClerk: "营业员", RoleReviewer: "审核员",
	RoleTeamLeader: "班组长", RoleTechnician: "施工人员", RoleReader: "抄表员"}

// Roles lists every role.
func Roles() []Role {
	return []Role{RoleAdmin, RoleClerk, RoleReviewer, RoleTeamLeader, RoleTechnician, RoleReader}
}

// Chinese is the role's name as staff say it.
func (r Role) Chinese() string { return roleNames[r] }

// ParseRole reads a role by its key or Chinese name.
func ParseRole(s string) (Role, error) {
	s = strings.TrimSpace(s)
	for _, r := range Roles() {
		if string(r) == s || r.Chinese() == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("未知角色%q(应为admin、clerk、reviewer、team_leader、technician或reader)", s)
}

// Permission is one thing a role may do.
type Permission string

// Permissions. Every HTTP route and docking action names one.
const (
	PermViewRoutes  Permission = "routes.view" // see readers, books, routes, customers
	PermViewOwn     Permission = "own.view"    // see one's own route or orders
	PermImport      Permission = "data.import" // import files, export routes
	PermDock        Permission = "device.dock" // run a docking session
	PermReview      Permission = "readings.review"
	PermCommit      Permission = "readings.commit" // 入库
	PermDispatch    Permission = "orders.dispatch" // 派工 [003:1383]
	PermPostpone    Permission = "orders.postpone" // 业务顺延, reassign, void [003:1547, 1551]
	PermSync        Permission = "tablet.sync"     // delta sync: a technician's orders and receipts, a reader's route and readings
	PermManageUsers Permission = "accounts.manage"
	PermPairDevice  Permission = "devices.pair"
	PermViewAudit   Permission = "audit.view"
	PermBackup      Permission = "store.backup"
	PermMetrics     Permission = "metrics.view"
	PermSignedIn    Permission = "signed_in" // any signed-in account: its own profile, the API document
)

// grants is the table of who may do what; it is the only place it is written.
var grants = map[Role][]Permission{
	RoleAdmin: {PermViewRoutes, PermImport, PermDock, PermReview, PermCommit, PermDispatch, PermPostpone,
		PermManageUsers, PermPairDevice, PermViewAudit, PermBackup, PermMetrics},
	RoleClerk:      {PermViewRoutes, PermImport, PermDock, PermPairDevice},
	RoleReviewer:   {PermViewRoutes, PermReview, PermCommit, PermViewAudit},
	RoleTeamLeader: {PermViewRoutes, PermPostpone, PermDispatch},
	RoleTechnician: {PermViewOwn, PermSync},
	RoleReader:     {PermViewOwn, PermDock, PermSync}, // PermSync: a networked handheld (docs/SYNC.md §10)
}

// Permissions lists every permission.
func Permissions() []Permission {
	return []Permission{PermViewRoutes, PermViewOwn, PermImport, PermDock, PermReview, PermCommit, PermDispatch,
		PermPostpone, PermSync, PermManageUsers, PermPairDevice, PermViewAudit, PermBackup, PermMetrics, PermSignedIn}
}

// Account is a person or an integration that signs in.
type Account struct {
	ID          string // sign-in name, e.g. "zhangsan"
	Name        string // shown name, e.g. "张三"
	Role        Role
	CanDispatch bool   // a clerk with the dispatch permission (有派工权限的营业员) [003:1383]
	ReaderID    string // for a reader: their 抄表员编号; for a technician: their 施工人员 id
	Disabled    bool
	Password    string // the encoded hash (HashPassword); "" = no password sign-in (API tokens only)
	// SessionsFrom ends every browser session begun before it: a new
	// password signs the account out everywhere.
	SessionsFrom time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Can reports whether the account may do p. A disabled account may do nothing.
func (a *Account) Can(p Permission) bool {
	if a == nil || a.Disabled {
		return false
	}
	if p == PermSignedIn {
		return true
	}
	if p == PermDispatch && a.Role == RoleClerk {
		return a.CanDispatch // "只有有派工权限的营业员才能派工" [003:1383]
	}
	for _, g := range grants[a.Role] {
		if g == p {
			return true
		}
	}
	return false
}

// MaySeeRoute reports whether the account may see reader readerID's route:
// with PermViewRoutes any reader's, with PermViewOwn only a reader's own.
func (a *Account) MaySeeRoute(readerID string) bool {
	return a.Can(PermViewRoutes) ||
		a.Can(PermViewOwn) && a.Role == RoleReader && a.ReaderID != "" && a.ReaderID == readerID
}

// Validate checks an account's own fields.
func (a *Account) Validate() error {
	switch {
	case !validID(a.ID):
		return fmt.Errorf("账号%q无效: 应为1到32个字母、数字、点、横线或下划线", a.ID)
	case roleNames[a.Role] == "":
		return fmt.Errorf("账号%s: 未知角色%q", a.ID, a.Role)
	case a.CanDispatch && a.Role != RoleClerk:
		return fmt.Errorf("账号%s: 派工权限只授予营业员", a.ID)
	case a.Role == RoleReader && a.ReaderID == "":
		return fmt.Errorf("账号%s: 抄表员账号须关联抄表员编号", a.ID)
	}
	return nil
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
