package vee

// Code is an anomaly code of DESIGN §5.2. Codes are stored and exchanged:
// the list is append-only.
type Code string

// Anomaly codes, DESIGN §5.2.
const (
	CodeLargeVolume     Code = "LARGE_VOLUME"     // 大额方数 [003:1219], DESIGN §5.1
	CodeICMismatch      Code = "IC_MISMATCH"      // IC卡余量不符 [003:1585-1589]
	CodeUnauthorizedUse Code = "UNAUTHORIZED_USE" // 私自点火 [003:923]
	CodeNegative        Code = "NEGATIVE"         // 读数倒退
	CodeRollover        Code = "ROLLOVER"         // 表盘翻转 (info)
	CodeZeroStreak      Code = "ZERO_STREAK"      // 连续零用量 (info) [003:905]
	CodeOutOfWindow     Code = "OUT_OF_WINDOW"    // 抄表日期异常 [003:1191, 1197]
	CodeDuplicate       Code = "DUPLICATE"        // 重复抄表
	CodeUnknown         Code = "UNKNOWN"          // 未知用户
	CodeEstimated       Code = "ESTIMATED"        // 估抄 (info) [003:809, 2351]
	CodeMissed          Code = "MISSED"           // 漏抄 [003:2345]
	// CodeInvalid is a reading no meter can show: beyond its dial, below zero,
	// not a number. Appended to DESIGN §5.2's eleven so that such a reading
	// is reported with its reason, never dropped.
	CodeInvalid Code = "INVALID" // 读数无效
)

// Codes lists every code in the order of DESIGN §5.2, CodeInvalid last.
func Codes() []Code {
	return []Code{CodeLargeVolume, CodeICMismatch, CodeUnauthorizedUse, CodeNegative, CodeRollover, CodeZeroStreak,
		CodeOutOfWindow, CodeDuplicate, CodeUnknown, CodeEstimated, CodeMissed, CodeInvalid}
}

var chinese = map[Code]string{
	CodeLargeVolume: "大额方数", CodeICMismatch: "IC卡余量不符", CodeUnauthorizedUse: "私自点火", CodeNegative: "读数倒退",
	CodeRollover: "表盘翻转", CodeZeroStreak: "连续零用量", CodeOutOfWindow: "抄表日期异常", CodeDuplicate: "重复抄表",
	CodeUnknown: "未知用户", CodeEstimated: "估抄", CodeMissed: "漏抄", CodeInvalid: "读数无效",
}

// Chinese is the code's name as the back office knows it (DESIGN §5.2).
func (c Code) Chinese() string {
	if s, ok := chinese[c]; ok {
		return s
	}
	return string(c)
}

// Blocking reports whether an anomaly of this code holds its reading back
// from commit until it is reviewed; ROLLOVER, ZERO_STREAK and ESTIMATED are
// info only (DESIGN §5.2). An unknown code blocks.
func (c Code) Blocking() bool {
	return c != CodeRollover && c != CodeZeroStreak && c != CodeEstimated
}
