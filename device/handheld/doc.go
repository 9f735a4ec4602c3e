// Package handheld is the handheld (抄表机) as the emulator plays it: what
// the device keeps (its identity and paired key, its clock, the loaded route
// and re-reads, the readings taken and the transfers cut short) in one bbolt
// file, the screens a reader looks at (数据管理, 抄表统计) and a scripted
// walk of the route that enters readings.
//
// The device side of the docking protocol is built on the Store: it reads
// the identity and clock, loads routes and re-reads, takes the pending
// readings as a readings file, clears what the server acknowledged, and
// keeps partial transfers for resuming after a cable pull.
package handheld
