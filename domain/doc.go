// Package domain holds the gas company's business rules as pure code: customers
// and the registration rules ⑴-⑼, meters and their state machine, the reading
// sequence number (抄表序号), readers, route books and reading cycles, readings
// and IC-card purchases.
//
// Nothing here does I/O. Every rule is written once, here, and cites its source
// in DOMAIN.md or DESIGN.md (../shared/): "[003:683]" is file 003 of seeds/,
// line 683. Messages shown to staff mirror the source wording in Chinese.
package domain
