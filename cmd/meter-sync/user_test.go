package main

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"meter-sync/account"
	"meter-sync/store"
	"meter-sync/store/bolt"
)

// cheapHashing makes a data folder whose configuration hashes passwords at
// the lowest cost it accepts, so that the tests spend their time on what
// they check; the store's hashes then say m=8192,t=1,p=1, which shows that
// the configuration reached the access service.
func cheapHashing(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	conf := "[auth]\nhash_memory_kib = 8192\nhash_time = 1\nhash_threads = 1\n"
	if err := os.WriteFile(filepath.Join(data, "meter-sync.toml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return data
}

const cheapHash = "$argon2id$v=19$m=8192,t=1,p=1$"

// withReaderR001 imports a readers file holding reader R001, whom accounts
// and handhelds in these tests belong to.
func withReaderR001(t *testing.T, data string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "readers.csv")
	if err := os.WriteFile(path, []byte("抄表员编号,姓名,抄表册\nR001,林嘉华,0101\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "", "import", "--data", data, "--kind", "readers", "--file", path)
}

// mustRun runs meter-sync and fails the test unless it succeeds.
func mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, stderr, code := runWithInput(t, stdin, args...)
	if code != 0 {
		t.Fatalf("meter-sync %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return out
}

// shownOnce returns the secret printed after label, failing if it is not
// printed exactly once.
func shownOnce(t *testing.T, out, label string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(label) + `[^:\n]*: (\S+)`)
	m := re.FindAllStringSubmatch(out, -1)
	if len(m) != 1 {
		t.Fatalf("want %q once in:\n%s", label, out)
	}
	return m[0][1]
}

// readAccounts opens a stopped store and returns its accounts by id, and
// the audit entries of the CLI.
func readAccounts(t *testing.T, data string) (map[string]account.Account, []store.AuditEntry) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(data, "meter-sync.db"), &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	byID := map[string]account.Account{}
	var audit []store.AuditEntry
	err = db.View(func(tx store.ReadTx) error {
		as, err := tx.Accounts()
		for _, a := range as {
			byID[a.ID] = a
		}
		if err != nil {
			return err
		}
		audit, err = tx.SearchAudit(store.AuditQuery{Actor: "cli", Limit: 1000})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return byID, audit
}

func checkPassword(t *testing.T, a account.Account, pw string) {
	t.Helper()
	if !strings.HasPrefix(a.Password, cheapHash) {
		t.Errorf("%s's hash %.40q… was not made with the configured costs", a.ID, a.Password)
	}
	if err := account.VerifyPassword(a.Password, pw); err != nil {
		t.Errorf("%s's password %q: %v", a.ID, pw, err)
	}
}

func TestUserRoundTrip(t *testing.T) {
	data := cheapHashing(t)
	withReaderR001(t, data)
	d := []string{"--data", data}
	out := mustRun(t, "", append([]string{"user", "add", "--id", "wangfang", "--name", "王芳", "--role", "clerk", "--dispatch"}, d...)...)
	clerkPW := shownOnce(t, out, "password")
	out = mustRun(t, "a long chosen password\n", append([]string{"user", "add", "--id", "lin", "--name", "林嘉华",
		"--role", "抄表员", "--reader", "R001", "--password-stdin"}, d...)...)
	if strings.Contains(out, "password") {
		t.Errorf("user add --password-stdin printed a password:\n%s", out)
	}

	list := mustRun(t, "", append([]string{"user", "list"}, d...)...)
	for _, want := range []string{"wangfang", "王芳", "营业员", "lin", "抄表员", "R001"} {
		if !strings.Contains(list, want) {
			t.Errorf("user list lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "argon2") || strings.Contains(list, clerkPW) {
		t.Errorf("user list shows a hash or a password:\n%s", list)
	}
	accounts, _ := readAccounts(t, data)
	checkPassword(t, accounts["wangfang"], clerkPW)
	checkPassword(t, accounts["lin"], "a long chosen password")
	if !accounts["wangfang"].CanDispatch || accounts["lin"].ReaderID != "R001" {
		t.Errorf("accounts as stored: %+v", accounts)
	}

	out = mustRun(t, "", append([]string{"user", "passwd", "--id", "wangfang"}, d...)...)
	newPW := shownOnce(t, out, "password")
	mustRun(t, "another long password\n", append([]string{"user", "passwd", "--id", "lin", "--password-stdin"}, d...)...)
	mustRun(t, "", append([]string{"user", "disable", "--id", "lin"}, d...)...)
	mustRun(t, "", append([]string{"user", "role", "--id", "wangfang", "--role", "reviewer"}, d...)...)
	accounts, _ = readAccounts(t, data)
	checkPassword(t, accounts["wangfang"], newPW)
	checkPassword(t, accounts["lin"], "another long password")
	if a := accounts["lin"]; !a.Disabled {
		t.Errorf("lin after user disable: %+v", a)
	}
	if a := accounts["wangfang"]; a.Role != account.RoleReviewer || a.CanDispatch {
		t.Errorf("wangfang after user role: %+v", a)
	}
	if list := mustRun(t, "", append([]string{"user", "list"}, d...)...); !regexp.MustCompile(`(?m)^lin .*yes$`).MatchString(list) {
		t.Errorf("user list does not show lin disabled:\n%s", list)
	}
	mustRun(t, "", append([]string{"user", "enable", "--id", "lin"}, d...)...)
	if accounts, _ = readAccounts(t, data); accounts["lin"].Disabled {
		t.Error("lin still disabled after user enable")
	}

	out = mustRun(t, "", append([]string{"user", "token", "--id", "wangfang", "--label", "prometheus"}, d...)...)
	secret := shownOnce(t, out, "secret")
	tokenID, ok := account.TokenID(secret)
	if !ok || !strings.Contains(out, "issued token "+tokenID) {
		t.Fatalf("user token printed:\n%s", out)
	}
	tokens := mustRun(t, "", append([]string{"user", "tokens"}, d...)...)
	if !strings.Contains(tokens, tokenID) || !strings.Contains(tokens, "prometheus") || strings.Contains(tokens, secret) {
		t.Errorf("user tokens:\n%s", tokens)
	}
	mustRun(t, "", append([]string{"user", "revoke-token", "--token-id", tokenID}, d...)...)
	tokens = mustRun(t, "", append([]string{"user", "tokens", "--id", "wangfang"}, d...)...)
	line := regexp.MustCompile(`(?m)^` + tokenID + `.*$`).FindString(tokens)
	if n := len(regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d`).FindAllString(line, -1)); n != 3 { // created, expires, revoked
		t.Errorf("user tokens does not show %s revoked:\n%s", tokenID, tokens)
	}

	// Every change is in the audit trail, by the CLI acting as an administrator.
	_, audit := readAccounts(t, data)
	var actions []string
	for _, e := range audit {
		if strings.HasPrefix(e.Action, "import.") {
			continue // the test's own reader import
		}
		if e.Role != string(account.RoleAdmin) {
			t.Errorf("audit entry %s by cli has role %q", e.Action, e.Role)
		}
		actions = append(actions, e.Action)
	}
	got := strings.Join(actions, " ")
	for _, want := range []string{"account.add", "account.password", "account.disable", "account.enable", "account.role", "token.issue", "token.revoke"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit trail lacks %s: %s", want, got)
		}
	}
}

func TestUserAndDeviceFailuresAreOneLine(t *testing.T) {
	data := cheapHashing(t)
	mustRun(t, "", "user", "add", "--data", data, "--id", "zhang", "--name", "张三", "--role", "reviewer")
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"no verb", "", []string{"user"}, "user: no verb given (add, passwd, disable, enable, role, list, token, tokens, revoke-token)"},
		{"unknown verb", "", []string{"device", "frob"}, `device: unknown verb "frob" (pair, list, revoke)`},
		{"bad role", "", []string{"user", "add", "--id", "x", "--name", "X", "--role", "boss"}, `user add: 未知角色"boss"`},
		{"bad role change", "", []string{"user", "role", "--id", "zhang", "--role", "boss"}, `user role: 未知角色"boss"`},
		{"missing flags", "", []string{"user", "add", "--id", "x"}, "user add: --id, --name and --role are required"},
		{"reader without reader id", "", []string{"user", "add", "--id", "x", "--name", "X", "--role", "reader"}, "抄表员账号须关联抄表员编号"},
		{"dispatch for a reviewer", "", []string{"user", "role", "--id", "zhang", "--role", "reviewer", "--dispatch"}, "派工权限只授予营业员"},
		{"exists", "", []string{"user", "add", "--id", "zhang", "--name", "张三", "--role", "clerk"}, "账号zhang已存在"},
		{"short password", "short\n", []string{"user", "passwd", "--id", "zhang", "--password-stdin"}, "密码至少10个字符"},
		{"empty stdin", "", []string{"user", "passwd", "--id", "zhang", "--password-stdin"}, "no password on standard input"},
		{"unknown account", "", []string{"user", "disable", "--id", "nobody"}, `user disable: no account "nobody"`},
		{"unknown token", "", []string{"user", "revoke-token", "--token-id", "abc"}, `user revoke-token: no token "abc"`},
		{"unknown handheld", "", []string{"device", "revoke", "--id", "HH-9"}, `device revoke: no handheld "HH-9"`},
		{"bad handheld id", "", []string{"device", "pair", "--id", "HH 1", "--name", "x"}, "抄表机编号无效"},
		{"unknown reader", "", []string{"device", "pair", "--id", "HH-1", "--name", "x", "--reader", "R404"}, "抄表员“R404”不存在"},
		{"reader account of an unknown reader", "", []string{"user", "add", "--id", "y", "--name", "Y", "--role", "reader", "--reader", "R404"}, "抄表员“R404”不存在"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runWithInput(t, tc.stdin, append(tc.args, "--data", data)...)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
			}
			if n := strings.Count(stderr, "\n"); n != 1 && !strings.HasPrefix(stderr, "usage:") {
				t.Errorf("%d lines on stderr, want one:\n%s", n, stderr)
			}
			if last := lastLine(stderr); !strings.HasPrefix(last, "meter-sync: ") || !strings.Contains(last, tc.want) {
				t.Errorf("last line %q, want meter-sync: …%s", last, tc.want)
			}
		})
	}
	for _, args := range [][]string{{"user", "--help"}, {"device", "--help"}, {"user", "add", "--help"}} {
		if _, stderr, code := run(t, args...); code != 0 || !strings.Contains(stderr, "usage: meter-sync "+args[0]) {
			t.Errorf("%v: exit %d, %s", args, code, stderr)
		}
	}
	if _, stderr, _ := run(t, "user", "--help"); !strings.Contains(stderr, "revoke-token") {
		t.Errorf("user --help does not list the verbs:\n%s", stderr)
	}
}

func TestDevicePairListRevoke(t *testing.T) {
	data := cheapHashing(t)
	withReaderR001(t, data)
	d := []string{"--data", data}
	out := mustRun(t, "", append([]string{"device", "pair", "--id", "HH-0001", "--name", "一组3号机", "--reader", "R001"}, d...)...)
	key := regexp.MustCompile(`(?m)^key: ([0-9a-f]+)$`).FindStringSubmatch(out)
	if key == nil || len(key[1]) != 64 || !strings.Contains(out, "Enter this key in the handheld") {
		t.Fatalf("device pair printed:\n%s", out)
	}
	list := mustRun(t, "", append([]string{"device", "list"}, d...)...)
	if !strings.Contains(list, "HH-0001") || !strings.Contains(list, "一组3号机") || !strings.Contains(list, "cli") {
		t.Errorf("device list:\n%s", list)
	}
	if strings.Contains(list, key[1]) || strings.Contains(list, key[1][:16]) {
		t.Errorf("device list shows the key:\n%s", list)
	}
	out = mustRun(t, "", append([]string{"device", "pair", "--id", "HH-0001", "--name", "一组3号机"}, d...)...)
	if again := regexp.MustCompile(`(?m)^key: ([0-9a-f]{64})$`).FindStringSubmatch(out); again == nil || again[1] == key[1] || !strings.Contains(out, "again") {
		t.Errorf("pairing HH-0001 again printed:\n%s", out)
	}
	mustRun(t, "", append([]string{"device", "revoke", "--id", "HH-0001"}, d...)...)
	list = mustRun(t, "", append([]string{"device", "list"}, d...)...)
	if !regexp.MustCompile(`(?m)^HH-0001 .*\d\d:\d\d .*cli .*\d\d:\d\d$`).MatchString(list) {
		t.Errorf("device list does not show HH-0001 revoked:\n%s", list)
	}
}

// firstAdmin returns the password in serve's first-administrator line,
// failing unless there is exactly one such line among lines.
func firstAdmin(t *testing.T, lines []string) string {
	t.Helper()
	var pws []string
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "first administrator: admin / "); ok {
			pw, hint, _ := strings.Cut(rest, " — ")
			if hint != "change it with meter-sync user passwd --id admin" {
				t.Errorf("first administrator line: %q", l)
			}
			pws = append(pws, pw)
		}
	}
	if len(pws) != 1 {
		t.Fatalf("%d first-administrator lines, want 1:\n%s", len(pws), strings.Join(lines, "\n"))
	}
	return pws[0]
}

func TestServePrintsTheFirstAdminPasswordOnce(t *testing.T) {
	data := t.TempDir() // the default costs, as a real first start has them
	s := startServing(t, "--data", data)
	pw := firstAdmin(t, s.before)
	s.stop(t)
	if strings.Contains(s.stderr.String(), pw) {
		t.Errorf("the first administrator's password is in the log:\n%s", s.stderr)
	}
	accounts, _ := readAccounts(t, data)
	admin := accounts["admin"]
	if admin.Role != account.RoleAdmin || account.VerifyPassword(admin.Password, pw) != nil || len(accounts) != 1 {
		t.Fatalf("after the first start: %+v", accounts)
	}
	// A token issued by the CLI signs in to the API of the next start: the
	// server authenticates through the same store and access service.
	secret := shownOnce(t, mustRun(t, "", "user", "token", "--data", data, "--id", "admin", "--label", "test"), "secret")
	s = startServing(t, "--data", data)
	for _, bearer := range []string{secret, ""} {
		req, _ := http.NewRequest(http.MethodGet, s.url+"/api/v1/readers", nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{true: 200, false: 401}[bearer != ""]; resp.StatusCode != want {
			t.Errorf("GET /api/v1/readers with bearer %q: %s, want %d", bearer, resp.Status, want)
		}
	}
	s.stop(t)
	if len(s.before) != 0 {
		t.Errorf("second start printed:\n%s", strings.Join(s.before, "\n"))
	}
}

func TestServeDemoMakesAnAccountPerRole(t *testing.T) {
	data := cheapHashing(t)
	s := startServing(t, "--demo", "--data", data)
	firstAdmin(t, s.before)
	printed := strings.Join(s.before, "\n")
	passwords := map[string]string{}
	for _, l := range s.before {
		if f := strings.Fields(l); len(f) >= 3 && len(f[1]) == 16 {
			passwords[f[0]] = f[1]
		}
	}
	roles := map[string]account.Role{"clerk1": account.RoleClerk, "reviewer1": account.RoleReviewer,
		"leader1": account.RoleTeamLeader, "tech1": account.RoleTechnician, "reader1": account.RoleReader}
	for id, role := range roles {
		if passwords[id] == "" || !regexp.MustCompile(`(?m)^\s*`+id+`\s+\S+\s+`+role.Chinese()).MatchString(printed) {
			t.Errorf("no line for %s (%s) in:\n%s", id, role.Chinese(), printed)
		}
	}

	// While the server runs, account and device commands say at once which
	// page does the same.
	for _, tc := range []struct {
		args []string
		page string
	}{
		{[]string{"user", "add", "--id", "x", "--name", "X", "--role", "clerk"}, "/admin/users"},
		{[]string{"user", "list"}, "/admin/users"},
		{[]string{"device", "pair", "--id", "HH-1", "--name", "x"}, "/admin/devices"},
	} {
		start := time.Now()
		_, stderr, code := run(t, append(tc.args, "--data", data)...)
		if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "in use by the server running at") ||
			!strings.Contains(stderr, "use the web page "+s.url+tc.page+" instead") {
			t.Errorf("%v while serving: exit %d, %s", tc.args, code, stderr)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%v while serving took %s to fail", tc.args, took)
		}
	}
	s.stop(t)

	accounts, _ := readAccounts(t, data)
	for id, role := range roles {
		a := accounts[id]
		if a.Role != role {
			t.Errorf("%s: %+v, want role %s", id, a, role)
			continue
		}
		checkPassword(t, a, passwords[id])
	}
	if !accounts["clerk1"].CanDispatch || accounts["reader1"].ReaderID != "R001" {
		t.Errorf("clerk1 %+v, reader1 %+v", accounts["clerk1"], accounts["reader1"])
	}
	s = startServing(t, "--demo", "--data", data)
	s.stop(t)
	for _, l := range s.before {
		if strings.Contains(l, "administrator") || strings.Contains(l, "password") {
			t.Errorf("second start with --demo printed %q", l)
		}
	}
}
