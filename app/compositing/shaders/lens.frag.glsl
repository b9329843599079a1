// The lens look's background at the working size (lens_background in app/compositing/lens.py):
// two flat, anti-aliased discs of the expanded image, each mask-aware (blur(E w) / blur(w), with
// a little of the plain disc where no background is near), blended by the estimated depth, then
// compressed back to 8 bits with a soft shoulder. Edges mirror like OpenCV's BORDER_REFLECT.
uniform sampler2D energy;  // the expanded image (rgba32f)
uniform sampler2D weight;  // 1 - the matte grown by one pixel (r32f)
uniform sampler2D depth;   // 0 near the subject .. 1 far behind (r32f)
uniform float far_radius;
uniform float near_radius;
uniform float eps;
uniform float gamma;
uniform float shoulder;
out vec4 color;

int mirrored(int i, int n) {
    if (i < 0) i = -i - 1;
    if (i >= n) i = 2 * n - i - 1;
    return clamp(i, 0, n - 1);
}

vec3 masked_disc(float radius, ivec2 p, ivec2 n) {
    float r = max(radius, 0.5);
    int reach = int(ceil(r)) + 1;
    vec3 num = vec3(0.0);
    vec3 plain = vec3(0.0);
    float den = 0.0;
    float total = 0.0;
    for (int dy = -reach; dy <= reach; ++dy) {
        for (int dx = -reach; dx <= reach; ++dx) {
            float k = clamp(r + 0.5 - length(vec2(float(dx), float(dy))), 0.0, 1.0);
            if (k <= 0.0) continue;
            ivec2 q = ivec2(mirrored(p.x + dx, n.x), mirrored(p.y + dy, n.y));
            vec3 e = texelFetch(energy, q, 0).rgb;
            float w = texelFetch(weight, q, 0).r;
            num += k * w * e;
            den += k * w;
            plain += k * e;
            total += k;
        }
    }
    // The disc sums to 1, as the CPU's kernel does, before eps is added.
    return (num / total + eps * plain / total) / (den / total + eps);
}

void main() {
    ivec2 n = textureSize(energy, 0);
    ivec2 p = ivec2(gl_FragCoord.xy);
    vec3 far = masked_disc(far_radius, p, n);
    vec3 near = masked_disc(near_radius, p, n);
    vec3 lin = near + texelFetch(depth, p, 0).r * (far - near);
    vec3 over = max(lin - shoulder, 0.0);
    vec3 rolled = min(lin, vec3(shoulder)) + (1.0 - shoulder) * (1.0 - exp(-over / (1.0 - shoulder)));
    color = vec4(pow(max(rolled, 0.0), vec3(1.0 / gamma)), 1.0);
}
