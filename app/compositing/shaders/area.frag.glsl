// Area-average resize of a one-channel float image (OpenCV's INTER_AREA for any ratio):
// each output pixel is the mean of the source area it covers, partial texels weighted.
uniform sampler2D src;
uniform vec2 scale;  // source pixels per output pixel
out vec4 color;
void main() {
    ivec2 n = textureSize(src, 0);
    vec2 lo = (gl_FragCoord.xy - 0.5) * scale;
    vec2 hi = lo + scale;
    float acc = 0.0;
    for (int y = int(floor(lo.y)); y < int(ceil(hi.y)); ++y) {
        float wy = min(hi.y, float(y + 1)) - max(lo.y, float(y));
        for (int x = int(floor(lo.x)); x < int(ceil(hi.x)); ++x) {
            float wx = min(hi.x, float(x + 1)) - max(lo.x, float(x));
            acc += wx * wy * texelFetch(src, clamp(ivec2(x, y), ivec2(0), n - 1), 0).r;
        }
    }
    color = vec4(acc / (scale.x * scale.y), 0.0, 0.0, 1.0);
}
