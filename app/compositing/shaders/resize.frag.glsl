// Bilinear resize with pixel centres on half-integers, edges clamped: OpenCV's INTER_LINEAR.
// Sampling a 2x larger image at a 2x2 block's shared corner averages the block exactly, which
// is OpenCV's INTER_AREA for a halving: so this one shader does every step of the downscale.
uniform sampler2D src;
uniform vec2 out_size;
out vec4 color;
void main() {
    color = texture(src, gl_FragCoord.xy / out_size);
}
