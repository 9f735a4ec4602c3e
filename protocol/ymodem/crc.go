package ymodem

// crcTable is CRC-16/XMODEM (polynomial 0x1021, MSB first) for each byte.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC16 returns the CRC-16/XMODEM of data: polynomial 0x1021, initial value
// 0, no reflection, no final XOR ("123456789" gives 0x31C3).
func CRC16(data []byte) uint16 {
	var c uint16
	for _, b := range data {
		c = c<<8 ^ crcTable[byte(c>>8)^b]
	}
	return c
}

// Checksum returns XMODEM's 8-bit checksum of data: the sum of its bytes.
func Checksum(data []byte) byte {
	var s byte
	for _, b := range data {
		s += b
	}
	return s
}
