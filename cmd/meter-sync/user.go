package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"meter-sync/access"
	"meter-sync/account"
	"meter-sync/store"
)

// usersPage is the back-office page that manages accounts while the server
// runs.
const usersPage = "/admin/users"

var userVerbs = []verb{
	{"add", "--id ID --name NAME --role ROLE [--dispatch] [--reader R] [--password-stdin] [--data DIR]",
		"add an account; prints its generated password once", userAdd},
	{"passwd", "--id ID [--password-stdin] [--data DIR]", "set an account's password; prints a generated one once", userPasswd},
	{"disable", "--id ID [--data DIR]", "disable an account: its sessions and tokens stop at once", userDisable},
	{"enable", "--id ID [--data DIR]", "enable a disabled account", userEnable},
	{"role", "--id ID --role ROLE [--dispatch] [--reader R] [--data DIR]", "set an account's role, dispatch permission and reader", userRole},
	{"list", "[--data DIR]", "list the accounts", userList},
	{"token", "--id ID --label TEXT [--data DIR]", "issue an API token for an account; prints its secret once", userToken},
	{"tokens", "[--id ID] [--data DIR]", "list API tokens (never their secrets)", userTokens},
	{"revoke-token", "--token-id ID [--data DIR]", "revoke an API token at once", userRevokeToken},
}

func runUser(ctx context.Context, e *env, args []string) error {
	return runVerbs(ctx, e, "user", userVerbs, args)
}

// roleFlags are the flags that say what an account may do.
type roleFlags struct {
	role     *string
	dispatch *bool
	reader   *string
}

func addRoleFlags(fs *flag.FlagSet) roleFlags {
	return roleFlags{
		role:     fs.String("role", "", "`ROLE`: admin, clerk, reviewer, team_leader, technician or reader (or its Chinese name, 营业员 …)"),
		dispatch: fs.Bool("dispatch", false, "a clerk who may dispatch work orders (有派工权限的营业员)"),
		reader:   fs.String("reader", "", "the reader's 抄表员编号 `R` (required for a reader), or a technician's own id"),
	}
}

func userAdd(ctx context.Context, e *env, name, usage string, args []string) error {
	fs, common := newFlags(e, name, usage)
	id := fs.String("id", "", "account `ID` to sign in with: letters, digits, '.', '-', '_'")
	fullName := fs.String("name", "", "the person's `NAME` as shown, e.g. 张三")
	rf := addRoleFlags(fs)
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input instead of generating one")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *fullName == "" || *rf.role == "" {
		return errors.New("user add: --id, --name and --role are required")
	}
	role, err := account.ParseRole(*rf.role)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	var pw string
	if *fromStdin {
		if pw, err = readSecretLine(e.stdin); err != nil {
			return fmt.Errorf("user add: %w", err)
		}
	}
	svc, db, err := openAccess(common, usersPage)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	defer db.Close()
	pw, err = svc.AddAccount(cliActor, access.NewAccount{ID: *id, Name: *fullName, Role: role,
		CanDispatch: *rf.dispatch, ReaderID: *rf.reader, Password: pw})
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	fmt.Fprintf(e.stdout, "added account %s (%s, %s)\n", *id, *fullName, role.Chinese())
	if !*fromStdin {
		fmt.Fprintf(e.stdout, "password (shown only now): %s\n", pw)
	}
	return nil
}

func userPasswd(ctx context.Context, e *env, name, usage string, args []string) error {
	fs, common := newFlags(e, name, usage)
	id := fs.String("id", "", "account `ID`")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input instead of generating one")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return errors.New("user passwd: --id is required")
	}
	var pw string
	var err error
	if *fromStdin {
		pw, err = readSecretLine(e.stdin)
	} else {
		pw, err = account.RandomPassword()
	}
	if err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	svc, db, err := openAccess(common, usersPage)
	if err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	defer db.Close()
	if err := svc.SetPassword(cliActor, *id, pw); err != nil {
		return fmt.Errorf("user passwd: %w", notFound(err, "account", *id))
	}
	fmt.Fprintf(e.stdout, "set the password of %s\n", *id)
	if !*fromStdin {
		fmt.Fprintf(e.stdout, "password (shown only now): %s\n", pw)
	}
	return nil
}

func userDisable(ctx context.Context, e *env, name, usage string, args []string) error {
	return setDisabled(e, name, usage, args, true)
}

func userEnable(ctx context.Context, e *env, name, usage string, args []string) error {
	return setDisabled(e, name, usage, args, false)
}

func setDisabled(e *env, name, usage string, args []string, disabled bool) error {
	fs, common := newFlags(e, name, usage)
	id := fs.String("id", "", "account `ID`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return fmt.Errorf("%s: --id is required", name)
	}
	svc, db, err := openAccess(common, usersPage)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer db.Close()
	if err := svc.SetDisabled(cliActor, *id, disabled); err != nil {
		return fmt.Errorf("%s: %w", name, notFound(err, "account", *id))
	}
	if disabled {
		fmt.Fprintf(e.stdout, "disabled %s: its sessions and API tokens no longer work\n", *id)
	} else {
		fmt.Fprintf(e.stdout, "enabled %s\n", *id)
	}
	return nil
}

func userRole(ctx context.Context, e *env, name, usage string, args []string) error {
	fs, common := newFlags(e, name, usage)
	id := fs.String("id", "", "account `ID`")
	rf := addRoleFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *rf.role == "" {
		return errors.New("user role: --id and --role are required")
	}
	role, err := account.ParseRole(*rf.role)
	if err != nil {
		return fmt.Errorf("user role: %w", err)
	}
	svc, db, err := openAccess(common, usersPage)
	if err != nil {
		return fmt.Errorf("user role: %w", err)
	}
	defer db.Close()
	if err := svc.SetRole(cliActor, *id, role, *rf.dispatch, *rf.reader); err != nil {
		return fmt.Errorf("user role: %w", notFound(err, "account", *id))
	}
	fmt.Fprintf(e.stdout, "%s is now %s%s\n", *id, role.Chinese(), map[bool]string{true: " (may dispatch)"}[*rf.dispatch])
	return nil
}

func userList(ctx context.Context, e *env, name, usage string, args []string) error {
	fs, common := newFlags(e, name, usage)
	if err := parse(fs, args); err != nil {
		return err
	}
	_, db, err := openAccess(common, usersPage)
	if err != nil {
		return fmt.Errorf("user list: %w", err)
	}
	defer db.Close()
	var as []account.Account
	if err := db.View(func(tx store.ReadTx) error {
		as, err = tx.Accounts()
		return err
	}); err != nil {
		return fmt.Errorf("user list: %w", err)
	}
	rows := [][]string{{"ID", "NAME", "ROLE", "DISPATCH", "READER", "DISABLED"}}
	for _, a := range as {
		rows = append(rows, []string{a.ID, a.Name, a.Role.Chinese(), yesNo(a.CanDispatch), a.ReaderID, yesNo(a.Disabled)})
	}
	table(e.stdout, rows)
	return nil
}

func userToken(ctx context.Context, e *env, name, usage string, args []string) error {
	fs, common := newFlags(e, name, usage)
	id := fs.String("id", "", "account `ID` the token acts as")
	label := fs.String("label", "", "`TEXT` saying what the token is for, e.g. prometheus or 平板 T-07")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *label == "" {
		return errors.New("user token: --id and --label are required")
	}
	svc, db, err := openAccess(common, usersPage)
	if err != nil {
		return fmt.Errorf("user token: %w", err)
	}
	defer db.Close()
	secret, t, err := svc.IssueToken(cliActor, *id, *label)
	if err != nil {
		return fmt.Errorf("user token: %w", notFound(err, "account", *id))
	}
	fmt.Fprintf(e.stdout, "issued token %s for %s (%s), %s\n", t.ID, *id, *label, expiry(t.ExpiresAt))
	fmt.Fprintf(e.stdout, "secret (shown only now): %s\n", secret)
	fmt.Fprintln(e.stdout, "A client sends it in the HTTP header \"Authorization: Bearer\" followed by the secret.")
	return nil
}

func expiry(t time.Time) string {
	if t.IsZero() {
		return "never expires"
	}
	return "expires " + t.Format("2006-01-02")
}

func userTokens(ctx context.Context, e *env, name, usage string, args []string) error {
	fs, common := newFlags(e, name, usage)
	id := fs.String("id", "", "list only the tokens of account `ID`")
	if err := parse(fs, args); err != nil {
		return err
	}
	_, db, err := openAccess(common, usersPage)
	if err != nil {
		return fmt.Errorf("user tokens: %w", err)
	}
	defer db.Close()
	var ts []account.Token
	if err := db.View(func(tx store.ReadTx) error {
		ts, err = tx.Tokens(*id)
		return err
	}); err != nil {
		return fmt.Errorf("user tokens: %w", err)
	}
	rows := [][]string{{"TOKEN-ID", "ACCOUNT", "LABEL", "CREATED", "EXPIRES", "REVOKED"}}
	for _, t := range ts {
		rows = append(rows, []string{t.ID, t.AccountID, t.Label, day(t.CreatedAt), day(t.ExpiresAt), day(t.RevokedAt)})
	}
	table(e.stdout, rows)
	return nil
}

// day shows a time in a list, blank when zero.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04")
}

func userRevokeToken(ctx context.Context, e *env, name, usage string, args []string) error {
	fs, common := newFlags(e, name, usage)
	id := fs.String("token-id", "", "token `ID`, as `user token` printed it or `user tokens` lists it")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return errors.New("user revoke-token: --token-id is required")
	}
	svc, db, err := openAccess(common, usersPage)
	if err != nil {
		return fmt.Errorf("user revoke-token: %w", err)
	}
	defer db.Close()
	if err := svc.RevokeToken(cliActor, *id); err != nil {
		return fmt.Errorf("user revoke-token: %w", notFound(err, "token", *id))
	}
	fmt.Fprintf(e.stdout, "revoked token %s\n", *id)
	return nil
}
