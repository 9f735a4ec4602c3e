package handheld

import (
	"fmt"
	"io"
	"strings"
	"time"

	"meter-sync/domain"
)

// screenTime is how the handheld shows an instant.
const screenTime = "2006-01-02 15:04:05"

// RenderManage writes the 数据管理 screen: what is loaded and what waits to
// go back.
func RenderManage(w io.Writer, sum Summary) error {
	var b strings.Builder
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "%s  %s\n", pad(label, 10), fmt.Sprintf(format, args...))
	}
	b.WriteString("【数据管理】\n")
	if sum.DeviceID == "" {
		line("抄表机编号", "未配对")
	} else {
		line("抄表机编号", "%s", sum.DeviceID)
	}
	line("本机时钟", "%s%s", sum.Clock.In(domain.Local).Format(screenTime), offsetNote(sum.Offset))
	if sum.Route == nil {
		line("抄表路线", "未装载")
	} else {
		line("抄表员", "%s", sum.Route.Reader)
		line("抄表周期", "%s", sum.Route.Cycle)
		line("路线用户", "%d户(装载于%s)", sum.Households, sum.Route.LoadedAt.In(domain.Local).Format(screenTime))
	}
	line("重抄任务", "%d户,未抄%d户", sum.Rereads, sum.RereadsLeft)
	line("待上传读数", "%d条", sum.Pending)
	if len(sum.Partials) == 0 {
		line("未完成传输", "无")
	}
	for _, p := range sum.Partials {
		line("未完成传输", "%s 已收发%d字节", p.ID, p.Size)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// offsetNote says how far the clock is from the system clock, if at all.
func offsetNote(d time.Duration) string {
	switch {
	case d > 0:
		return fmt.Sprintf("(比系统时间快%s)", d)
	case d < 0:
		return fmt.Sprintf("(比系统时间慢%s)", -d)
	}
	return ""
}

// RenderStats writes the 抄表统计 screen: the totals, then one line per
// route book.
func RenderStats(w io.Writer, st Stats) error {
	var b strings.Builder
	b.WriteString("【抄表统计】\n")
	if st.Reader != "" {
		fmt.Fprintf(&b, "抄表员 %s  周期 %s\n", st.Reader, st.Cycle)
	}
	for _, l := range []struct {
		label string
		n     int
	}{{"应抄", st.Due}, {"已抄", st.Read}, {"未抄", st.Unread}, {"估抄", st.Estimated}} {
		fmt.Fprintf(&b, "%s  %6d户\n", pad(l.label, 6), l.n)
	}
	fmt.Fprintf(&b, "%s  %6d户(已抄%d户)\n", pad("重抄", 6), st.Rereads, st.RereadsDone)
	fmt.Fprintf(&b, "%s  %6d户\n", pad("新增户", 6), st.Added)
	if len(st.Books) > 0 {
		b.WriteString("抄表册   应抄   已抄   未抄   估抄\n")
	}
	for _, k := range st.Books {
		fmt.Fprintf(&b, "%-6s %6d %6d %6d %6d\n", k.Book, k.Due, k.Read, k.Unread, k.Estimated)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// pad pads s with spaces to width columns, a Chinese character taking two.
func pad(s string, width int) string {
	n := 0
	for _, r := range s {
		n++
		if r > 0x2e80 {
			n++
		}
	}
	if n >= width {
		return s
	}
	return s + strings.Repeat(" ", width-n)
}
