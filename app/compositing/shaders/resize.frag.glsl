// Bilinear resize with pixel centres on half-integers, edges clamped: OpenCV's INTER_LINEAR.
// A halving samples the source at each 2x2 block's shared corner instead, which averages the
// block exactly (OpenCV's INTER_AREA for a halving; an odd last row or column is left out, as
// app/common/resize.py does): so this one shader does every step of the downscale.
uniform sampler2D src;
uniform vec2 out_size;
uniform bool halve;
out vec4 color;
void main() {
    vec2 uv = halve ? 2.0 * gl_FragCoord.xy / vec2(textureSize(src, 0))
                    : gl_FragCoord.xy / out_size;
    color = texture(src, uv);
}
