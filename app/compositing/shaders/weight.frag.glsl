// Background weight for the mask-aware blur and lens (spec.background_weight in
// app/compositing/spec.py): 1 - (matte grown by one pixel, 3x3 max).
uniform sampler2D alpha;
out vec4 color;
void main() {
    ivec2 n = textureSize(alpha, 0);
    ivec2 p = ivec2(gl_FragCoord.xy);
    float m = 0.0;
    for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx)
            m = max(m, texelFetch(alpha, clamp(p + ivec2(dx, dy), ivec2(0), n - 1), 0).r);
    color = vec4(1.0 - m, 0.0, 0.0, 1.0);
}
