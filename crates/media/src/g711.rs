//! G.711 μ-law and A-law (ITU-T G.711), to make and hear audio: music on hold, prompts,
//! recordings, mixing. Relayed calls never transcode.

const BIAS: i32 = 0x84;
const CLIP: i32 = 32635;

pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut s = sample as i32;
    let sign = if s < 0 { 0x80 } else { 0 };
    s = s.abs().min(CLIP) + BIAS;
    let mut exponent = 7;
    let mut mask = 0x4000;
    while exponent > 0 && s & mask == 0 {
        exponent -= 1;
        mask >>= 1;
    }
    let mantissa = (s >> (exponent + 3)) & 0x0f;
    !((sign | (exponent << 4) | mantissa) as u8)
}

pub fn ulaw_to_linear(u: u8) -> i16 {
    let u = !u;
    let sign = u & 0x80;
    let exponent = ((u >> 4) & 0x07) as i32;
    let mantissa = (u & 0x0f) as i32;
    let s = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    if sign != 0 { -s as i16 } else { s as i16 }
}

pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut s = sample as i32;
    let sign = if s >= 0 { 0xd5 } else { 0x55 };
    if s < 0 {
        s = -s - 1;
    }
    let s = s.min(0x7fff);
    let out = if s < 256 {
        s >> 4
    } else {
        let mut exponent = 7;
        let mut mask = 0x4000;
        while exponent > 1 && s & mask == 0 {
            exponent -= 1;
            mask >>= 1;
        }
        (exponent << 4) | ((s >> (exponent + 3)) & 0x0f)
    };
    (out as u8) ^ sign
}

pub fn alaw_to_linear(a: u8) -> i16 {
    let a = a ^ 0x55;
    let sign = a & 0x80;
    let exponent = ((a >> 4) & 0x07) as i32;
    let mantissa = (a & 0x0f) as i32;
    let s = if exponent == 0 { (mantissa << 4) + 8 } else { ((mantissa << 4) + 0x108) << (exponent - 1) };
    if sign != 0 { s as i16 } else { -s as i16 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn companding_stays_within_a_few_percent() {
        for s in [-32000i16, -12345, -1000, -100, 0, 100, 1000, 12345, 32000] {
            let u = ulaw_to_linear(linear_to_ulaw(s)) as i32;
            let a = alaw_to_linear(linear_to_alaw(s)) as i32;
            let tol = (s as i32).abs() / 16 + 16;
            assert!((u - s as i32).abs() <= tol, "μ-law {s} -> {u}");
            assert!((a - s as i32).abs() <= tol, "A-law {s} -> {a}");
        }
    }

    #[test]
    fn silence_codes() {
        assert_eq!(linear_to_ulaw(0), 0xff);
        assert_eq!(linear_to_alaw(0), 0xd5);
    }
}
